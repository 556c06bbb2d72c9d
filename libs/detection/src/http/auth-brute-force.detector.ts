import type { AuthEvent } from '@ratchet/contracts';
import { countingDetector } from '../counting-detector';
import { addressEntityOf, httpStatusOf } from '../event-reading';

/** Methods that carry no credentials: a `GET` refused with 401 is the challenge that asks for them. */
const READ_ONLY_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A burst of refused credentials at the ingress, which `auth.brute-force` (20 in 5m, for every
 * source) lets through: CrowdSec's `http-generic-bf` family overflows on the 6th failure with a
 * leak of 10s (6 in 50s). Counted, from one address, on HTTP sources only (an access-log status, or
 * a basic-auth verdict from an error log):
 * - a failed login (the parsers mark credential-submitting requests to login paths, and refused
 *   basic-auth users, as logins);
 * - a 401, 403 or 407 answering a request that submits something (`POST`, `PUT` …), as CrowdSec's
 *   401/403 variants count — an API hammered with stolen or guessed tokens.
 * A `GET` answered 401 is the challenge a browser gets before it asks for a password, and is not
 * counted. It emits `brute_force`, the signal `auth.brute-force` emits: one attack seen by both
 * detectors is one contribution to the address's risk, not two.
 */
export const httpAuthBruteForceDetector = countingDetector({
  id: 'http.auth-brute-force',
  signalType: 'brute_force',
  reads: { planes: ['north-south'] },
  summary: 'An address with `threshold` refused credentials at the ingress (failed logins, 401/403/407 on POST/PUT/…) within `window` (defaults: 6 in 50s)',
  defaults: { threshold: 6, windowMs: 50_000 },
  severity: 0.8,
  countName: 'failures',
  subjectOf: (event) => (event.plane === 'north-south' && isRefusedCredential(event) ? addressEntityOf(event) : undefined),
});

function isRefusedCredential(event: AuthEvent): boolean {
  if (event.outcome !== 'failure') return false;
  const status = httpStatusOf(event);
  if (event.action === 'login') return status !== undefined || event.auth?.method === 'basic';
  if (status !== 401 && status !== 403 && status !== 407) return false;
  const method = event.target?.method;
  return method !== undefined && !READ_ONLY_METHODS.has(method);
}
