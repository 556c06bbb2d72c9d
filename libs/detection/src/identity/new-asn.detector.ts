import { firstSeenDetector } from './first-seen';

/**
 * A user's first successful login from an autonomous system (`client.asn.number`, from
 * enrichment). Severity 0.3: a new café or mobile carrier is ordinary; a new hosting provider is
 * not, and that is for chains to weigh with `auth.vendor-risk` and `intel.anonymizer`.
 */
export const newAsnDetector = firstSeenDetector({
  id: 'auth.new-asn',
  signalType: 'new_asn',
  summary: 'The first successful login of a user from an ASN, after `minHistory` logins (default 3)',
  keyPrefix: 'na',
  evidenceName: 'asn',
  severity: 0.3,
  valueOf: (event) => (event.client?.asn === undefined ? undefined : `AS${event.client.asn.number}`),
});
