import type { RiskSignal } from '@ratchet/contracts';
import { entityRef } from '@ratchet/kernel';
import { ratedSignal, isFailedLogin, isSuccessfulLogin, type Detector } from '../detector';
import { compileSettings, durationSetting, wholeNumberSetting, type SettingReader } from '../detector-config';
import { NO_OPS, NO_SIGNALS } from '../event-reading';

export interface SlowBruteForceParams {
  /** Failed logins from the address within the window. */
  threshold: number;
  /** Distinct principals failing from the address within the window. */
  principals: number;
  windowMs: number;
  /** Distinct `pacedPeriod`s with a failure from the address within `pacedWindow`, and no successful login from it. */
  pacedPeriods: number;
  pacedPeriodMs: number;
  pacedWindowMs: number;
}

const READERS: Readonly<Record<string, SettingReader<SlowBruteForceParams>>> = {
  threshold: wholeNumberSetting('threshold'),
  principals: wholeNumberSetting('principals'),
  window: durationSetting('windowMs'),
  pacedPeriods: wholeNumberSetting('pacedPeriods', 2),
  pacedPeriod: durationSetting('pacedPeriodMs'),
  pacedWindow: durationSetting('pacedWindowMs'),
};

/**
 * An address failing logins below `auth.brute-force`'s rate, over an hour: one guess a minute
 * never trips 20-in-5-minutes. CrowdSec's ssh-slow-bf and keycloak-slow-bf are leaky buckets of
 * capacity 10 leaking one event a minute (with a user-enumeration twin counting distinct users);
 * a bucket overflows on the 11th event that arrives before one has leaked. Eleven failures (or
 * eleven distinct principals) within one hour fires on every shape those scenarios fire on —
 * their bursts and their 30-second trickles — and also on an attacker pacing one guess every five
 * minutes, which never overflows that bucket. Severity 0.6, below the fast brute force: a shared
 * egress address (NAT, a corporate proxy) can collect eleven honest typos in an hour.
 *
 * Paced guessing over hours (CrowdSec's ssh-time-based-bf: four failures whose median interval
 * exceeds ten minutes, cancelled by a successful login) stays below any count a shared address
 * does not reach honestly, so it is told by its spread, not its volume: failures in
 * `pacedPeriods` distinct `pacedPeriod`s (fixed slots of event time: 4 of 10 minutes) within
 * `pacedWindow` (6h), from an address with no successful login in that window. Four distinct
 * ten-minute slots span more than twenty minutes, as four failures with a median gap above ten
 * minutes do; a burst fills one or two slots. The successful login is what keeps an office's NAT
 * or a user retrying now and then out: an address its users log in from is theirs, not a guesser's
 * (a guesser holding one valid account can hide behind it; the volume criteria above still apply).
 * A client retrying a stale password on a schedule (a mail client, a cron job) is paced too, and
 * worth the signal: it locks accounts and hides real guesses.
 */
/** The one member of an address's `sbf-ok:ip` window. */
const SUCCEEDED = 'ok';

export const slowBruteForceDetector: Detector<SlowBruteForceParams> = {
  id: 'auth.slow-brute-force',
  signalType: 'slow_brute_force',
  reads: { actions: ['login'] },
  summary:
    'An address with `threshold` failed logins, or failures for `principals` distinct principals, within `window` (defaults: 11, 11, 1h); or failing in `pacedPeriods` distinct `pacedPeriod`s within `pacedWindow` with no successful login (defaults: 4 of 10m in 6h)',
  defaults: { threshold: 11, principals: 11, windowMs: 3_600_000, pacedPeriods: 4, pacedPeriodMs: 600_000, pacedWindowMs: 6 * 3_600_000 },
  compile(raw) {
    return compileSettings(this.id, raw, this.defaults, READERS);
  },
  plan(event, p) {
    const ip = event.client?.ip;
    if (!ip) return NO_OPS;
    // Only whether the address logged in successfully within the paced window matters, so its
    // successes are one distinct member at the latest success's time, not every success's event
    // id kept for six hours (an office NAT logs in thousands of times a day).
    if (isSuccessfulLogin(event)) return [{ kind: 'window.distinct', key: 'sbf-ok:ip', of: ip, member: SUCCEEDED, at: event.ts, windowMs: p.pacedWindowMs }];
    if (!isFailedLogin(event)) return NO_OPS;
    // A failure without a principal id (an access-log request that named no user, an anonymous
    // principal) is one unknown principal, not a new one each time: all of them share the member
    // '' (a principal id is never empty), so anonymous noise cannot pass for user enumeration.
    const principal = event.principal?.id ?? '';
    return [
      { kind: 'window.count', key: 'sbf:ip', of: ip, member: event.id, at: event.ts, windowMs: p.windowMs },
      { kind: 'window.distinct', key: 'sbfp:ip', of: ip, member: principal, at: event.ts, windowMs: p.windowMs },
      { kind: 'window.distinct', key: 'sbf-paced:ip', of: ip, member: String(Math.floor(event.ts / p.pacedPeriodMs)), at: event.ts, windowMs: p.pacedWindowMs },
      // Only counts: 1 when the address logged in successfully within the paced window, else 0.
      { kind: 'window.count', key: 'sbf-ok:ip', of: ip, at: event.ts, windowMs: p.pacedWindowMs },
    ];
  },
  detect(event, [failures, principals, periods, successes], p): RiskSignal[] {
    if (typeof failures !== 'number' || typeof principals !== 'number' || typeof periods !== 'number' || typeof successes !== 'number') return NO_SIGNALS;
    const paced = periods >= p.pacedPeriods && successes === 0;
    if (failures < p.threshold && principals < p.principals && !paced) return NO_SIGNALS;
    const ratio = Math.max(failures / p.threshold, principals / p.principals, paced ? periods / p.pacedPeriods : 0);
    return [
      ratedSignal(this, event, entityRef('ip', event.client?.ip as string), {
        severity: 0.6,
        confidence: 0.5 + 0.5 * Math.min(1, ratio / 2),
        evidence: {
          failures,
          distinctPrincipals: principals,
          threshold: p.threshold,
          principalsThreshold: p.principals,
          windowMs: p.windowMs,
          periods,
          pacedPeriods: p.pacedPeriods,
        },
      }),
    ];
  },
};
