import { entityRef } from '@ratchet/kernel';
import type { AuthEvent } from '@ratchet/contracts';
import { isFailedLogin } from './detector';
import { thresholdDetector } from './threshold-detector';

/**
 * Many failed logins from one address in a short window. A refused second factor counts too: a
 * wrong TOTP code is a guessed credential, and CrowdSec's authelia-bf counts it like a wrong password.
 */
export const bruteForceDetector = thresholdDetector({
  id: 'auth.brute-force',
  signalType: 'brute_force',
  summary: 'An address with `threshold` failed logins within `window` (defaults: 20 in 5m)',
  defaults: { threshold: 20, windowMs: 5 * 60_000 },
  counting: 'window.count',
  countName: 'failures',
  subjectOf(event) {
    const ip = event.client?.ip;
    if (!ip || !isFailedCredential(event)) return undefined;
    return { key: `bf:ip:${ip}`, member: event.id, entity: entityRef('ip', ip) };
  },
});

function isFailedCredential(event: AuthEvent): boolean {
  return isFailedLogin(event) || (event.action === 'mfa' && event.outcome === 'failure');
}
