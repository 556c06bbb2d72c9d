import type { AuthEvent, RiskSignal } from '@ratchet/contracts';
import { entityRef } from '@ratchet/kernel';
import { ratedSignal, userIdOf, type Detector } from '../detector';
import { compileThresholdWindow, type ThresholdWindow } from '../detector-config';
import { NO_OPS, NO_SIGNALS } from '../event-reading';

/**
 * MFA fatigue (push bombing): an attacker with the password sends push after push until the user
 * gives in. Counts a user's denied or unanswered pushes (facts `mfa-push-denied`,
 * `mfa-push-timeout`, or any failed `mfa` step) within the window: at `threshold` it fires
 * (severity 0.5, the user is still refusing); an approval after `threshold` denials fires again at
 * severity 0.9 — the likely moment of takeover, what Splunk's Okta MFA-exhaustion hunt flags as
 * "multiple pushes sent, eventual successful authentication". A user reporting the prompt as fraud
 * (`mfa-fraud-reported`) fires at once, severity 0.9, confidence 1. Default 3 in 10m: Splunk's
 * denial-only searches wait for more than nine (they page someone); three refusals then an approval
 * is already the pattern, and the signal only adds risk.
 */
export const mfaFatigueDetector: Detector<ThresholdWindow> = {
  id: 'auth.mfa-fatigue',
  signalType: 'mfa_fatigue',
  summary: 'A user refusing `threshold` MFA pushes within `window`, then approving one; or reporting a prompt as fraud (defaults: 3 in 10m)',
  defaults: { threshold: 3, windowMs: 10 * 60_000 },
  compile(raw) {
    return compileThresholdWindow(this.id, raw, this.defaults);
  },
  plan(event, p) {
    const user = userIdOf(event);
    if (!user) return NO_OPS;
    if (isRefusedPush(event)) return [{ kind: 'window.count', key: 'mfa:user', of: user, member: event.id, at: event.ts, windowMs: p.windowMs }];
    // Asks how many refusals came before, without becoming one.
    if (isMfaApproval(event)) return [{ kind: 'window.count', key: 'mfa:user', of: user, at: event.ts, windowMs: p.windowMs }];
    return NO_OPS;
  },
  detect(event, [refusals], p): RiskSignal[] {
    const user = userIdOf(event);
    if (!user) return NO_SIGNALS;
    const entity = entityRef('user', user);
    if (event.facts?.includes('mfa-fraud-reported')) {
      return [ratedSignal(this, event, entity, { severity: 0.9, confidence: 1, evidence: { fraudReported: 1, refusals: typeof refusals === 'number' ? refusals : 0 } })];
    }
    if (typeof refusals !== 'number' || refusals < p.threshold) return NO_SIGNALS;
    const approved = isMfaApproval(event);
    return [
      ratedSignal(this, event, entity, {
        severity: approved ? 0.9 : 0.5,
        confidence: 0.5 + 0.5 * Math.min(1, refusals / (p.threshold * 2)),
        evidence: { refusals, approved: approved ? 1 : 0, threshold: p.threshold, windowMs: p.windowMs },
      }),
    ];
  },
};

function isRefusedPush(event: AuthEvent): boolean {
  const facts = event.facts;
  if (facts && (facts.includes('mfa-push-denied') || facts.includes('mfa-push-timeout') || facts.includes('mfa-fraud-reported'))) return true;
  return event.action === 'mfa' && event.outcome === 'failure';
}

function isMfaApproval(event: AuthEvent): boolean {
  if (event.outcome !== 'success') return false;
  return event.action === 'mfa' || (event.action === 'login' && event.auth?.mfa === true);
}
