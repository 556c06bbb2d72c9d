import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { AuthEvent } from '@ratchet/contracts';
import { compileAddressScopes } from './address-scope';
import { createEnricher } from './enricher';
import { openGeoDatabase } from './geo-database';

const fixture = (name: string): Buffer => readFileSync(join(__dirname, 'fixtures', name));
const location = openGeoDatabase(fixture('GeoLite2-City.mmdb'), 'location', 'city');
const asn = openGeoDatabase(fixture('GeoLite2-ASN.mmdb'), 'asn', 'asn');

const loginFrom = (client: AuthEvent['client']): AuthEvent => ({
  v: 1,
  id: 'okta:1',
  ts: Date.parse('2026-11-24T10:00:00Z'),
  observedAt: Date.parse('2026-11-24T10:00:01Z'),
  time: '2026-11-24T10:00:00Z',
  source: { kind: 'okta' },
  plane: 'north-south',
  action: 'login',
  outcome: 'failure',
  principal: { type: 'user', id: 'alice@example.com' },
  ...(client === undefined ? {} : { client }),
});

describe('createEnricher', () => {
  const enricher = createEnricher({ location, asn });

  it('adds scope, geo and ASN to an event from a public address', () => {
    const event = enricher.enrich(loginFrom({ ip: '89.160.20.112', userAgent: 'curl/8.5.0' }));
    assert.deepEqual(event.client, {
      ip: '89.160.20.112',
      userAgent: 'curl/8.5.0',
      scope: 'public',
      geo: { country: 'SE', city: 'Linköping', lat: 58.4167, lon: 15.6167 },
      asn: { number: 29518, org: 'Bredband2 AB' },
    });
  });

  it('adds only the scope to a private address: it is not looked up', () => {
    assert.deepEqual(enricher.enrich(loginFrom({ ip: '10.1.2.3' })).client, { ip: '10.1.2.3', scope: 'private' });
  });

  it('scopes documentation addresses as public by default, and finds nothing for them', () => {
    assert.deepEqual(enricher.enrich(loginFrom({ ip: '203.0.113.7' })).client, { ip: '203.0.113.7', scope: 'public' });
  });

  it('looks nothing up for a documentation address when those are reserved', () => {
    const strict = createEnricher({ location, asn, scopes: compileAddressScopes({ documentation: 'reserved' }) });
    assert.deepEqual(strict.enrich(loginFrom({ ip: '2001:db8::7' })).client, { ip: '2001:db8::7', scope: 'reserved' });
  });

  it("keeps the producer's own geo, ASN and scope", () => {
    const client = { ip: '89.160.20.112', scope: 'public', geo: { country: 'NO', city: 'Oslo' }, asn: { number: 64_500 } } as const;
    assert.deepEqual(enricher.enrich(loginFrom(client)).client, client);
  });

  it("fills what the producer left out, next to what it sent", () => {
    const event = enricher.enrich(loginFrom({ ip: '89.160.20.112', geo: { country: 'SE' } }));
    assert.deepEqual(event.client?.geo, { country: 'SE' });
    assert.deepEqual(event.client?.asn, { number: 29518, org: 'Bredband2 AB' });
  });

  it('adds scope alone when no database is configured', () => {
    assert.deepEqual(createEnricher().enrich(loginFrom({ ip: '81.2.69.142' })).client, { ip: '81.2.69.142', scope: 'public' });
  });

  it('leaves an event without a client address as it is', () => {
    const event = loginFrom({ userAgent: 'Okta Verify' });
    assert.equal(enricher.enrich(event), event);
    const none = loginFrom(undefined);
    assert.equal(enricher.enrich(none), none);
  });

  it('never changes the event it was given', () => {
    const event = loginFrom({ ip: '81.2.69.142' });
    enricher.enrich(event);
    assert.deepEqual(event.client, { ip: '81.2.69.142' });
  });
});
