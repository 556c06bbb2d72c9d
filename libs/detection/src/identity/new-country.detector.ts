import { firstSeenDetector } from './first-seen';

/**
 * A user's first successful login from a country (`client.geo.country`, from enrichment). Severity
 * 0.5: travel is common, but account takeovers mostly come from abroad.
 */
export const newCountryDetector = firstSeenDetector({
  id: 'auth.new-country',
  signalType: 'new_country',
  summary: 'The first successful login of a user from a country, after `minHistory` logins (default 3)',
  keyPrefix: 'nc',
  evidenceName: 'country',
  severity: 0.5,
  valueOf: (event) => event.client?.geo?.country,
});
