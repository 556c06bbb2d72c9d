import { entityRef } from '@ratchet/kernel';
import { isFailedLogin } from './detector';
import { thresholdDetector } from './threshold-detector';

/** One address failing logins for many different principals: a few passwords tried across many accounts. */
export const passwordSprayDetector = thresholdDetector({
  id: 'auth.password-spray',
  signalType: 'password_spray',
  summary: 'An address with failed logins for `threshold` distinct principals within `window` (defaults: 10 in 5m)',
  reads: { actions: ['login'] },
  defaults: { threshold: 10, windowMs: 5 * 60_000 },
  counting: 'window.distinct',
  countName: 'distinctPrincipals',
  subjectOf(event) {
    const ip = event.client?.ip;
    const principal = event.principal?.id;
    if (!ip || !principal || !isFailedLogin(event)) return undefined;
    return { key: 'spray:ip', of: ip, member: principal, entity: entityRef('ip', ip) };
  },
});
