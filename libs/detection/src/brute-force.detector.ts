import { entityRef } from '@ratchet/kernel';
import { isFailedLogin } from './detector';
import { thresholdDetector } from './threshold-detector';

/** Many failed logins from one address in a short window. */
export const bruteForceDetector = thresholdDetector({
  id: 'auth.brute-force',
  signalType: 'brute_force',
  summary: 'An address with `threshold` failed logins within `window` (defaults: 20 in 5m)',
  defaults: { threshold: 20, windowMs: 5 * 60_000 },
  counting: 'window.count',
  countName: 'failures',
  subjectOf(event) {
    const ip = event.client?.ip;
    if (!ip || !isFailedLogin(event)) return undefined;
    return { key: `bf:ip:${ip}`, member: event.id, entity: entityRef('ip', ip) };
  },
});
