import type { AuthEvent } from '@ratchet/contracts';
import { countingDetector } from '../counting-detector';
import { addressEntityOf, httpStatusOf } from '../event-reading';

/** Reasons the NGINX error-log parser gives `limit_req` and `limit_conn` rejections: `rate limited by zone login`. */
const LIMIT_REASON = /^(?:rate|connection) limited(?: by zone \S+)?$/;

/**
 * An address the ingress keeps rate-limiting: it ignores the limit (a flood, a scraper, a brute
 * force slowed down). Specified by CrowdSec's `nginx-req-limit-exceeded` (capacity 5, leak 60s): 6
 * rejections in 5m. A rejection is a `429` in an access log (NGINX `limit_req_status 429`, Envoy's
 * rate-limit filters) or NGINX's `limiting requests` / `limiting connections` error-log line.
 * NGINX answers `limit_req` with 503 unless told otherwise, which an access log cannot tell from an
 * upstream failure: without `limit_req_status 429`, feed the error log. Feeding both logs of the
 * same NGINX counts each rejection twice.
 */
export const httpRateLimitedDetector = countingDetector({
  id: 'http.rate-limited',
  signalType: 'rate_limited',
  reads: { planes: ['north-south'] },
  summary: 'An address rejected by the ingress rate limits (429, NGINX limit_req/limit_conn) `threshold` times within `window` (defaults: 6 in 5m)',
  defaults: { threshold: 6, windowMs: 5 * 60_000 },
  severity: 0.5,
  countName: 'rejections',
  subjectOf: (event) => (event.plane === 'north-south' && event.outcome === 'failure' && isRateLimited(event) ? addressEntityOf(event) : undefined),
});

function isRateLimited(event: AuthEvent): boolean {
  return httpStatusOf(event) === 429 || (event.reason !== undefined && LIMIT_REASON.test(event.reason));
}
