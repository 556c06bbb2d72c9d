import type { AuthEvent, RiskSignal } from '@ratchet/contracts';
import { entityRef } from '@ratchet/kernel';
import { ratedSignal, isSuccessfulLogin, userIdOf, type Detector } from '../detector';
import { compileSettings, durationSetting, numberSetting, wholeNumberSetting, type SettingReader } from '../detector-config';
import { NO_OPS, NO_SIGNALS } from '../event-reading';
import { parseUserAgent, userAgentHash } from './user-agent';

export interface LoginRiskParams {
  /** Fires at or above this score (1 = as usual as anyone's login; a login new in every way scores (history + 1)²). */
  threshold: number;
  /** Earlier successful logins a user needs before being scored. */
  minHistory: number;
  /** Values remembered per user, all features together; the least recently seen is forgotten first. */
  maxUserValues: number;
  /** Values remembered for the whole population. */
  maxGlobalValues: number;
  retainMs: number;
}

const READERS: Readonly<Record<string, SettingReader<LoginRiskParams>>> = {
  threshold: numberSetting('threshold', 1),
  minHistory: wholeNumberSetting('minHistory'),
  maxUserValues: wholeNumberSetting('maxUserValues', 16),
  maxGlobalValues: wholeNumberSetting('maxGlobalValues', 16),
  retain: durationSetting('retainMs'),
};

/**
 * The sub-features of each feature with their weights, as Wiefling et al. (ACM TOPS 2022) run
 * Freeman et al.'s model: IP address → ASN → country 0.6 / 0.3 / 0.1; user agent → browser → OS →
 * device type 0.5386 / 0.2680 / 0.1882 / 0.0052 (the brief's 0.5387/0.0051 rounding, to sum to 1).
 */
export const LOGIN_RISK_FEATURES = {
  ip: [
    ['ip', 0.6],
    ['asn', 0.3],
    ['country', 0.1],
  ],
  ua: [
    ['ua', 0.5386],
    ['browser', 0.268],
    ['os', 0.1882],
    ['device', 0.0052],
  ],
} as const;

/** Field order in the counters: the total first, then every sub-feature in LOGIN_RISK_FEATURES order. */
const SUB_FEATURES = ['ip', 'asn', 'country', 'ua', 'browser', 'os', 'device'] as const;
type SubFeature = (typeof SUB_FEATURES)[number];
const TOTAL = 'n';
/** Dirichlet smoothing towards the population: an unseen value weighs like one login's worth of the global distribution. */
const ALPHA = 1;

/**
 * Freeman et al. (NDSS 2016), "Who Are You?": how much more likely is this login's (IP, user agent)
 * among everyone than for this user — risk = Π_features p(value) / p(value | user), the population
 * standing in for the attacker (an attacker looks like anyone, not like the user). Each feature is a
 * weighted mix of its hierarchy (a new address in the user's usual ASN and country is barely
 * surprising); p(value) is add-one smoothed over all successful logins; p(value | user) is smoothed
 * towards p(value) (c_u + α·p) / (n_u + α), so an unseen value is (n_u + 1) times less likely for the
 * user than for the population and scores accordingly. The attacker prior p(u | attack) / p(u |
 * legit) of the paper is left out: every user is as attractive.
 *
 * State: two `counter.add` per successful login — the user's table and the population's, each a
 * total and one field per sub-feature value (the user agent hashed), bounded by least recently
 * counted. Only successful logins are history, so an attacker who gets in teaches the model (as in
 * the paper); counters are not idempotent, so a redelivered login counts twice (it makes its own
 * values a little more familiar, never less).
 */
export const loginRiskDetector: Detector<LoginRiskParams> = {
  id: 'auth.login-risk',
  signalType: 'login_risk',
  reads: { actions: ['login'] },
  summary: 'A successful login whose address and user agent are `threshold` times likelier among everyone than for this user, after `minHistory` logins (defaults: 25, 5)',
  defaults: { threshold: 25, minHistory: 5, maxUserValues: 256, maxGlobalValues: 200_000, retainMs: 90 * 86_400_000 },
  compile(raw) {
    return compileSettings(this.id, raw, this.defaults, READERS);
  },
  plan(event, p) {
    const user = userIdOf(event);
    if (!user || !isSuccessfulLogin(event) || !event.client?.ip) return NO_OPS;
    const fields = fieldsOf(event);
    return [
      { kind: 'counter.add', key: 'lr:user', of: user, fields, at: event.ts, maxFields: p.maxUserValues, retainMs: p.retainMs },
      { kind: 'counter.add', key: 'lr:all', fields, at: event.ts, maxFields: p.maxGlobalValues, retainMs: p.retainMs },
    ];
  },
  detect(event, [userCounts, allCounts], p): RiskSignal[] {
    if (!Array.isArray(userCounts) || !Array.isArray(allCounts)) return NO_SIGNALS;
    // The counters answer after this login; the score is about the history before it.
    const history = (userCounts[0] as number) - 1;
    if (history < p.minHistory) return NO_SIGNALS;
    const score = scoreLogin(
      userCounts.map((c: number) => c - 1),
      allCounts.map((c: number) => c - 1),
    );
    if (score.risk < p.threshold) return NO_SIGNALS;
    const values = valuesOf(event);
    const evidence: Record<string, number | string> = { score: round3(score.risk), threshold: p.threshold, history, ipFactor: round3(score.ip), uaFactor: round3(score.ua) };
    SUB_FEATURES.forEach((name, i) => {
      evidence[`${name}Seen`] = (userCounts[i + 1] as number) - 1;
      if (name !== 'ua') evidence[name] = values[name];
    });
    return [
      ratedSignal(this, event, entityRef('user', userIdOf(event) as string), {
        severity: 0.6,
        confidence: 0.5 + 0.5 * Math.min(1, (history - p.minHistory) / (3 * p.minHistory)),
        evidence,
      }),
    ];
  },
};

export interface LoginScore {
  risk: number;
  ip: number;
  ua: number;
}

/**
 * The score from counts before the login, in counter field order (total, then sub-features):
 * the user's and the population's.
 */
export function scoreLogin(user: readonly number[], all: readonly number[]): LoginScore {
  const [nUser = 0, nAll = 0] = [user[0], all[0]];
  const factor = (from: number, weights: ReadonlyArray<readonly [string, number]>): number => {
    let global = 0;
    let personal = 0;
    weights.forEach(([, weight], i) => {
      const pAll = ((all[from + i] ?? 0) + 1) / (nAll + 1);
      const pUser = ((user[from + i] ?? 0) + ALPHA * pAll) / (nUser + ALPHA);
      global += weight * pAll;
      personal += weight * pUser;
    });
    return global / personal;
  };
  const ip = factor(1, LOGIN_RISK_FEATURES.ip);
  const ua = factor(1 + LOGIN_RISK_FEATURES.ip.length, LOGIN_RISK_FEATURES.ua);
  return { risk: ip * ua, ip, ua };
}

function valuesOf(event: AuthEvent): Record<SubFeature, string> {
  const client = event.client;
  const ip = client?.ip ?? '';
  const ua = client?.userAgent ?? '';
  const parsed = parseUserAgent(ua);
  return {
    // Admission wrote the address in its canonical spelling.
    ip,
    asn: client?.asn === undefined ? '?' : `AS${client.asn.number}`,
    country: client?.geo?.country ?? '?',
    ua,
    browser: parsed.browser,
    os: parsed.os,
    device: parsed.device,
  };
}

/** Counter fields: the total, then `<sub-feature>:<value>`; a missing value is the value `?`, like any other. */
function fieldsOf(event: AuthEvent): string[] {
  const values = valuesOf(event);
  const fields = [TOTAL];
  for (const name of SUB_FEATURES) {
    // Addresses are too many to remember; every other sub-feature has few values, whose field
    // names are built once: each login looks its fields up in two tables, and a string built
    // afresh is hashed afresh every time.
    fields.push(name === 'ip' ? `ip:${values.ip}` : fieldName(name, name === 'ua' ? userAgentHash(values.ua) : values[name]));
  }
  return fields;
}

/** Field names by sub-feature and value, bounded like the user agent cache: starts over when full. */
const FIELD_NAMES = new Map<string, Map<string, string>>(SUB_FEATURES.map((name) => [name, new Map()]));
const MAX_FIELD_NAMES = 4_096;

function fieldName(name: SubFeature, value: string): string {
  const names = FIELD_NAMES.get(name) as Map<string, string>;
  let field = names.get(value);
  if (field === undefined) {
    if (names.size >= MAX_FIELD_NAMES) names.clear();
    field = `${name}:${value}`;
    names.set(value, field);
  }
  return field;
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
