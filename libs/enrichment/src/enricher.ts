import type { AuthEvent } from '@ratchet/contracts';
import { compileAddressScopes, type AddressScopes } from './address-scope';
import type { GeoLookup } from './geo-database';

/** Adds what the collector knows about a client address to an admitted event. Pure. */
export interface Enricher {
  enrich(event: AuthEvent): AuthEvent;
}

export interface EnricherOptions {
  /** Default: `compileAddressScopes()` (documentation ranges public). */
  scopes?: AddressScopes;
  /** City or Country databases (`openGeoDatabase`, `chainGeoDatabases`); without one, no `client.geo` is added. */
  location?: GeoLookup;
  /** ASN databases; without one, no `client.asn` is added. */
  asn?: GeoLookup;
}

/**
 * `client.scope` for every event with a `client.ip`; `client.geo` and `client.asn` only for public
 * addresses (a private address's location is the database's guess about someone else's network).
 * What the producer sent wins: its own scope, geo or ASN is kept as it is. Returns the event
 * itself when there is nothing to add, a shallow copy otherwise; never mutates its input.
 */
export function createEnricher(options: EnricherOptions = {}): Enricher {
  const scopes = options.scopes ?? compileAddressScopes();
  const { location, asn } = options;
  return {
    enrich(event) {
      const client = event.client;
      const ip = client?.ip;
      if (client === undefined || ip === undefined) return event;
      const scope = client.scope ?? scopes.scopeOf(ip);
      if (scope === undefined) return event;
      const enriched = { ...client, scope };
      if (scope === 'public') {
        if (enriched.geo === undefined && location !== undefined) {
          const geo = location.lookup(ip)?.geo;
          if (geo !== undefined) enriched.geo = geo;
        }
        if (enriched.asn === undefined && asn !== undefined) {
          const found = asn.lookup(ip)?.asn;
          if (found !== undefined) enriched.asn = found;
        }
      }
      return { ...event, client: enriched };
    },
  };
}
