import { entityRef } from '@ratchet/kernel';
import type { AuthEvent } from '@ratchet/contracts';
import { isFailedLogin } from './detector';
import { thresholdDetector } from './threshold-detector';

/**
 * Many failed logins from one address in a short window. A refused second factor counts too: a
 * wrong TOTP code is a guessed credential, and CrowdSec's authelia-bf counts it like a wrong password.
 *
 * The signal comes early, at the peers' sensitivity (CrowdSec's ssh/keycloak/authelia buckets fire
 * on the 6th failure, fail2ban's default jail on the 5th), and carries the count: what happens then
 * is the chains' decision, not the detector's. The default credential-attack chain asks for a
 * second factor from 5 failures, rate-limits from 10 and denies at 20 within the window — so the
 * window stays 5 minutes, over which the deny is defined.
 */
export const bruteForceDetector = thresholdDetector({
  id: 'auth.brute-force',
  signalType: 'brute_force',
  summary: 'An address with `threshold` failed logins within `window` (defaults: 6 in 5m)',
  reads: { actions: ['login', 'mfa'] },
  defaults: { threshold: 6, windowMs: 5 * 60_000 },
  counting: 'window.count',
  countName: 'failures',
  subjectOf(event) {
    const ip = event.client?.ip;
    if (!ip || !isFailedCredential(event)) return undefined;
    return { key: 'bf:ip', of: ip, member: event.id, entity: entityRef('ip', ip) };
  },
});

function isFailedCredential(event: AuthEvent): boolean {
  return isFailedLogin(event) || (event.action === 'mfa' && event.outcome === 'failure');
}
