import { entityRef } from '@ratchet/kernel';
import { isFailedLogin, userIdOf } from '../detector';
import { thresholdDetector } from '../threshold-detector';

/**
 * Many failed logins for one user from any addresses: the attack `auth.brute-force` misses when it
 * is spread over a botnet. Default 10 in 10m: the lockout thresholds of Okta and Entra ID smart
 * lockout (10 attempts); Splunk's hunting searches alert later (O365: more than 10 in 5m; Entra and
 * AWS: more than 20 in 10m) because they page a human, while this only adds risk to the account.
 * Severity 0.6: the user is the target, not the attacker; chains should step up, not lock out.
 */
export const bruteForcePrincipalDetector = thresholdDetector({
  id: 'auth.brute-force-principal',
  signalType: 'brute_force_principal',
  summary: 'A user with `threshold` failed logins from any addresses within `window` (defaults: 10 in 10m)',
  reads: { actions: ['login'] },
  defaults: { threshold: 10, windowMs: 10 * 60_000 },
  counting: 'window.count',
  countName: 'failures',
  severity: 0.6,
  subjectOf(event) {
    const user = userIdOf(event);
    if (!user || !isFailedLogin(event)) return undefined;
    return { key: 'bfp:user', of: user, member: event.id, entity: entityRef('user', user) };
  },
});
