import type { AuthEvent, RiskSignal } from '@ratchet/contracts';
import { entityRef } from '@ratchet/kernel';
import { ratedSignal, isFailedLogin, type Detector } from '../detector';
import { compileSettings, durationSetting, numberSetting, wholeNumberSetting, type SettingReader } from '../detector-config';
import { NO_OPS, NO_SIGNALS } from '../event-reading';
import type { StateOp } from '../state-store.port';

export interface CredentialStuffingParams {
  /** Distinct principals failing on the target within the window. */
  principals: number;
  /** Distinct addresses those failures come from. */
  addresses: number;
  /** Failed logins over all login attempts on the target within the window, 0–1. */
  failureRatio: number;
  windowMs: number;
}

const READERS: Readonly<Record<string, SettingReader<CredentialStuffingParams>>> = {
  principals: wholeNumberSetting('principals'),
  addresses: wholeNumberSetting('addresses'),
  failureRatio: numberSetting('failureRatio', 0, 1),
  window: durationSetting('windowMs'),
};

/**
 * Leaked username/password pairs replayed against one login service from many addresses: each
 * address tries a few accounts (under `auth.brute-force` and `auth.password-spray`), each account
 * is tried once (under `auth.brute-force-principal`), so only the target sees the whole. Within
 * the window, on one target (`target.host`, else the source's name): at least `principals`
 * distinct principals failing, from at least `addresses` distinct addresses, with failures making
 * up at least `failureRatio` of all login attempts there (honest traffic fails a few percent;
 * leaked lists mostly fail). The signal lands on the target, `svc:<host>`: chains can raise the
 * bar for everyone logging in there (CAPTCHA, step-up) while the attack lasts.
 */
export const credentialStuffingDetector: Detector<CredentialStuffingParams> = {
  id: 'auth.credential-stuffing',
  signalType: 'credential_stuffing',
  reads: { actions: ['login'] },
  summary:
    'A login target where `principals` distinct principals failed from `addresses` distinct addresses, failures being `failureRatio` of attempts, within `window` (defaults: 50, 10, 0.8, 10m)',
  defaults: { principals: 50, addresses: 10, failureRatio: 0.8, windowMs: 10 * 60_000 },
  compile(raw) {
    return compileSettings(this.id, raw, this.defaults, READERS);
  },
  plan(event, p) {
    const target = targetOf(event);
    if (!target || event.action !== 'login' || event.outcome === 'challenge') return NO_OPS;
    const attempts: StateOp = { kind: 'window.count', key: 'cs:attempts', of: target, member: event.id, at: event.ts, windowMs: p.windowMs };
    const ip = event.client?.ip;
    const principal = event.principal?.id;
    if (!isFailedLogin(event) || !ip || !principal) return [attempts];
    return [
      attempts,
      { kind: 'window.count', key: 'cs:failures', of: target, member: event.id, at: event.ts, windowMs: p.windowMs },
      { kind: 'window.distinct', key: 'cs:principals', of: target, member: principal, at: event.ts, windowMs: p.windowMs },
      { kind: 'window.distinct', key: 'cs:addresses', of: target, member: ip, at: event.ts, windowMs: p.windowMs },
    ];
  },
  detect(event, results, p): RiskSignal[] {
    const [attempts, failures, principals, addresses] = results;
    if (typeof attempts !== 'number' || typeof failures !== 'number' || typeof principals !== 'number' || typeof addresses !== 'number') return NO_SIGNALS;
    // Attempts and failures are counted on keys whose windows end at their own newest event, so the ratio may exceed 1 briefly.
    const ratio = Math.min(1, failures / Math.max(attempts, 1));
    if (principals < p.principals || addresses < p.addresses || ratio < p.failureRatio) return NO_SIGNALS;
    return [
      ratedSignal(this, event, entityRef('svc', targetOf(event) as string), {
        severity: 0.8,
        confidence: 0.5 + 0.5 * Math.min(1, principals / (p.principals * 2)),
        evidence: {
          distinctPrincipals: principals,
          distinctAddresses: addresses,
          failures,
          attempts,
          failureRatio: Math.round(ratio * 1000) / 1000,
          windowMs: p.windowMs,
        },
      }),
    ];
  },
};

function targetOf(event: AuthEvent): string | undefined {
  return event.target?.host || event.source.name || undefined;
}
