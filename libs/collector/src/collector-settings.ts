import { Logger } from '@nestjs/common';
import { compileAddressScopes, createEnricher, type DocumentationScope, type Enricher, type GeoDatabaseKind } from '@ratchet/enrichment';
import { compileTrustedProxies, type TrustedProxies } from '@ratchet/kernel';
import { ConfigError, envReader } from '@ratchet/platform';
import { findSource, SOURCES, type SourceParser } from '@ratchet/sources';
import { openGeoDatabaseSetting, type GeoDatabaseSetting, type ResolvePackage } from './geo-database-files';

/** What the collector reads from the environment; every default is beside its field. */
export interface CollectorOptions {
  /**
   * RATCHET_GEOIP_CITY_DB: MaxMind-format City or Country databases, comma-separated: `.mmdb` paths
   * and `@ip-location-db/*-mmdb` package names (all the package's files), asked in turn; unset: no `client.geo`.
   */
  geoipCityDb?: string;
  /** RATCHET_GEOIP_ASN_DB: MaxMind-format ASN databases, as RATCHET_GEOIP_CITY_DB; unset: no `client.asn`. */
  geoipAsnDb?: string;
  /** RATCHET_DOCUMENTATION_ADDRESSES: how 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32 are scoped; default `public`. */
  documentationAddresses: DocumentationScope;
  /** RATCHET_TRUSTED_PROXIES: CIDRs whose logged X-Forwarded-For is believed; default loopback. */
  trustedProxies: readonly string[];
  /** RATCHET_RAW_TOPICS: `source` (topic `raw.<source>`) or `source=topic`, comma-separated; default none. */
  rawTopics: readonly RawTopic[];
  /** COLLECTOR_GROUP: consumer group of the raw topics; default `ratchet-collector`. */
  group: string;
}

export interface RawTopic {
  source: string;
  topic: string;
}

export const LOOPBACK = ['127.0.0.1/32', '::1/128'] as const;

/** Reads the collector's variables; throws a `ConfigError` naming the variable. Called by apps' `config.ts` only. */
export function readCollectorOptions(env: Readonly<Record<string, string | undefined>>): CollectorOptions {
  const read = envReader(env);
  const city = read.string('RATCHET_GEOIP_CITY_DB', '');
  const asn = read.string('RATCHET_GEOIP_ASN_DB', '');
  return {
    ...(city === '' ? {} : { geoipCityDb: city }),
    ...(asn === '' ? {} : { geoipAsnDb: asn }),
    documentationAddresses: read.oneOf('RATCHET_DOCUMENTATION_ADDRESSES', ['public', 'reserved'] as const, 'public'),
    trustedProxies: read.list('RATCHET_TRUSTED_PROXIES', LOOPBACK),
    rawTopics: parseRawTopics(read.list('RATCHET_RAW_TOPICS', [])),
    group: read.string('COLLECTOR_GROUP', 'ratchet-collector'),
  };
}

/** `nginx-access` → `raw.nginx-access`; `okta=idp.okta.system-log` → that topic. Sources must exist; a topic serves one source. */
export function parseRawTopics(entries: readonly string[]): RawTopic[] {
  const variable = 'RATCHET_RAW_TOPICS';
  const topics: RawTopic[] = [];
  for (const entry of entries) {
    const [source = '', topic = `raw.${source}`, ...rest] = entry.split('=').map((part) => part.trim());
    if (rest.length > 0 || topic === '') throw new ConfigError(variable, `"${entry}" must be a source or source=topic`);
    if (!findSource(source)) throw new ConfigError(variable, `"${source}" is not a source; known: ${SOURCES.map((s) => s.id).join(', ')}`);
    if (!/^[\w.-]{1,249}$/.test(topic)) throw new ConfigError(variable, `"${topic}" is not a Kafka topic name (letters, digits, ".", "_", "-")`);
    if (topics.some((t) => t.topic === topic)) throw new ConfigError(variable, `topic "${topic}" is listed twice; one topic carries one source`);
    topics.push({ source, topic });
  }
  return topics;
}

function compileTrustedProxiesSetting(cidrs: readonly string[]): TrustedProxies {
  try {
    return compileTrustedProxies(cidrs);
  } catch (err) {
    throw new ConfigError('RATCHET_TRUSTED_PROXIES', err instanceof Error ? err.message : String(err));
  }
}

/** What the collector's services run with, compiled once at start-up. */
export interface CollectorSettings {
  enricher: Enricher;
  /** The databases the enricher asks, for whoever reports which data enriched (`ratchet eval`). */
  geoDatabases: { location?: GeoDatabaseSetting; asn?: GeoDatabaseSetting };
  trustedProxies: TrustedProxies;
  rawTopics: ReadonlyArray<{ topic: string; parser: SourceParser }>;
  group: string;
}

export const COLLECTOR_SETTINGS = Symbol.for('ratchet.CollectorSettings');

/**
 * Opens the databases and compiles the lists. A database that is configured but missing, not
 * installed or not a MaxMind DB stops the start-up with a message naming the variable and the
 * entry; one that is not configured is logged once, and events get no geo (or no ASN).
 * `resolvePackage` finds `@ip-location-db/*-mmdb` packages (default `require.resolve`).
 */
export function compileCollectorSettings(options: Partial<CollectorOptions> = {}, log = new Logger('Collector'), resolvePackage?: ResolvePackage): CollectorSettings {
  const open = (variable: string, value: string | undefined, kind: GeoDatabaseKind, what: string): GeoDatabaseSetting | undefined => {
    if (value === undefined) {
      log.log(`${variable} is not set: events get no ${what}`);
      return undefined;
    }
    return openGeoDatabaseSetting(variable, value, kind, resolvePackage);
  };
  const location = open('RATCHET_GEOIP_CITY_DB', options.geoipCityDb, 'location', 'client.geo');
  const asn = open('RATCHET_GEOIP_ASN_DB', options.geoipAsnDb, 'asn', 'client.asn');
  const scopes = compileAddressScopes({ documentation: options.documentationAddresses ?? 'public' });
  return {
    enricher: createEnricher({ scopes, ...(location ? { location: location.lookup } : {}), ...(asn ? { asn: asn.lookup } : {}) }),
    geoDatabases: { ...(location ? { location } : {}), ...(asn ? { asn } : {}) },
    trustedProxies: compileTrustedProxiesSetting(options.trustedProxies ?? LOOPBACK),
    rawTopics: (options.rawTopics ?? []).map(({ source, topic }) => {
      const parser = findSource(source);
      if (!parser) throw new ConfigError('RATCHET_RAW_TOPICS', `"${source}" is not a source`);
      return { topic, parser };
    }),
    group: options.group ?? 'ratchet-collector',
  };
}
