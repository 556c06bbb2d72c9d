import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { asnOf, InvalidGeoDatabase, locationOf, openGeoDatabase } from './geo-database';

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
