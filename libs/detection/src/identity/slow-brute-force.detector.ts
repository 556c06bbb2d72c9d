import type { RiskSignal } from '@ratchet/contracts';
import { entityRef } from '@ratchet/kernel';
import { ratedSignal, isFailedLogin, type Detector } from '../detector';
import { compileSettings, durationSetting, wholeNumberSetting, type SettingReader } from '../detector-config';

export interface SlowBruteForceParams {
  /** Failed logins from the address within the window. */
  threshold: number;
  /** Distinct principals failing from the address within the window. */
  principals: number;
  windowMs: number;
}

const READERS: Readonly<Record<string, SettingReader<SlowBruteForceParams>>> = {
  threshold: wholeNumberSetting('threshold'),
  principals: wholeNumberSetting('principals'),
  window: durationSetting('windowMs'),
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
 */
export const slowBruteForceDetector: Detector<SlowBruteForceParams> = {
  id: 'auth.slow-brute-force',
  signalType: 'slow_brute_force',
  summary: 'An address with `threshold` failed logins, or failures for `principals` distinct principals, within `window` (defaults: 11, 11, 1h)',
  defaults: { threshold: 11, principals: 11, windowMs: 3_600_000 },
  compile(raw) {
    return compileSettings(this.id, raw, this.defaults, READERS);
  },
  plan(event, p) {
    const ip = event.client?.ip;
    if (!ip || !isFailedLogin(event)) return [];
    // A failure without a principal id (an access-log request that named no user, an anonymous
    // principal) is one unknown principal, not a new one each time: all of them share the member
    // '' (a principal id is never empty), so anonymous noise cannot pass for user enumeration.
    const principal = event.principal?.id ?? '';
    return [
      { kind: 'window.count', key: 'sbf:ip', of: ip, member: event.id, at: event.ts, windowMs: p.windowMs },
      { kind: 'window.distinct', key: 'sbfp:ip', of: ip, member: principal, at: event.ts, windowMs: p.windowMs },
    ];
  },
  detect(event, [failures, principals], p): RiskSignal[] {
    if (typeof failures !== 'number' || typeof principals !== 'number') return [];
    if (failures < p.threshold && principals < p.principals) return [];
    const ratio = Math.max(failures / p.threshold, principals / p.principals);
    return [
      ratedSignal(this, event, entityRef('ip', event.client?.ip as string), {
        severity: 0.6,
        confidence: 0.5 + 0.5 * Math.min(1, ratio / 2),
        evidence: { failures, distinctPrincipals: principals, threshold: p.threshold, principalsThreshold: p.principals, windowMs: p.windowMs },
      }),
    ];
  },
};
