import type { AuthEvent, RiskSignal } from '@ratchet/contracts';
import { entityRef } from '@ratchet/kernel';
import { ratedSignal, isSuccessfulLogin, userIdOf, type Detector } from '../detector';
import { compileSettings, durationSetting, wholeNumberSetting, type SettingReader } from '../detector-config';
import { NO_OPS, NO_SIGNALS } from '../event-reading';
import { isSetAddResult } from '../state-store.port';

export interface FirstSeenParams {
  /** Earlier successful logins a user needs before anything is new: before that, everything is. */
  minHistory: number;
  /** Distinct values remembered per user; the least recently seen is forgotten first. */
  maxValues: number;
  /** How long a user's values outlive their last login. */
  retainMs: number;
}

const READERS: Readonly<Record<string, SettingReader<FirstSeenParams>>> = {
  minHistory: wholeNumberSetting('minHistory'),
  maxValues: wholeNumberSetting('maxValues'),
  retain: durationSetting('retainMs'),
};

export const FIRST_SEEN_DEFAULTS: FirstSeenParams = { minHistory: 3, maxValues: 50, retainMs: 90 * 86_400_000 };

/** What a first-seen detector is about: the value of the login, its name in evidence, the severity. */
export interface FirstSeenFeature {
  id: string;
  signalType: string;
  summary: string;
  /** Short key prefix: `nc` → `nc:user:<id>`. */
  keyPrefix: string;
  evidenceName: string;
  severity: number;
  valueOf(event: AuthEvent): string | undefined;
}

/**
 * The first successful login of a user with a value (a country, an ASN, a device) it never used,
 * once the user has `minHistory` earlier successful logins. Two set operations per login: the
 * values (bounded, least recently seen forgotten) and the login ids up to `minHistory` (so "enough
 * history" is a count of logins, not of distinct values). The login history is the same for every
 * detector of the family with the same `minHistory`, so it is one shared key (`fs:h<minHistory>:user:<id>`)
 * planned as a shared operation: the batch engine runs it once per login for the whole family. Both
 * are keyed by event id or value, so a redelivered login is neither new nor counted twice.
 */
export function firstSeenDetector(feature: FirstSeenFeature): Detector<FirstSeenParams> {
  const valuesKey = `${feature.keyPrefix}:user`;
  return {
    id: feature.id,
    signalType: feature.signalType,
    reads: { actions: ['login'] },
    summary: feature.summary,
    defaults: FIRST_SEEN_DEFAULTS,
    compile(raw) {
      return compileSettings(this.id, raw, this.defaults, READERS);
    },
    plan(event, p) {
      const user = userIdOf(event);
      const value = feature.valueOf(event);
      if (!user || value === undefined || !isSuccessfulLogin(event)) return NO_OPS;
      return [
        { kind: 'set.add', key: historyKey(p.minHistory), of: user, member: event.id, at: event.ts, maxMembers: p.minHistory, retainMs: p.retainMs, shared: true },
        { kind: 'set.add', key: valuesKey, of: user, member: value, at: event.ts, maxMembers: p.maxValues, retainMs: p.retainMs },
      ];
    },
    detect(event, [logins, values], p): RiskSignal[] {
      if (!isSetAddResult(logins) || !isSetAddResult(values)) return NO_SIGNALS;
      if (logins.known || values.known || logins.size < p.minHistory) return NO_SIGNALS;
      return [
        ratedSignal(this, event, entityRef('user', userIdOf(event) as string), {
          severity: feature.severity,
          // A user with few values is more surprised by a new one than one who roams.
          confidence: Math.round((0.5 + 0.5 / Math.max(1, values.size)) * 1000) / 1000,
          evidence: { [feature.evidenceName]: feature.valueOf(event) as string, knownValues: values.size, minHistory: p.minHistory },
        }),
      ];
    },
  };
}


/** `fs:h<minHistory>:user`, built once per history length rather than once per login. */
const HISTORY_KEYS = new Map<number, string>();
function historyKey(minHistory: number): string {
  let key = HISTORY_KEYS.get(minHistory);
  if (key === undefined) {
    key = `fs:h${minHistory}:user`;
    HISTORY_KEYS.set(minHistory, key);
  }
  return key;
}
