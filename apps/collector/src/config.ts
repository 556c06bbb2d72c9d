import { readCollectorOptions, type CollectorOptions } from '@ratchet/collector';
import { envReader, readPlatformConfig, readSourceCatalogue, type PlatformConfig } from '@ratchet/platform';
import type { SourceCatalogue } from '@ratchet/sources';

export interface CollectorConfig {
  /** COLLECTOR_HOST, default 127.0.0.1. */
  host: string;
  /** COLLECTOR_PORT, default 8081. */
  port: number;
  /** COLLECTOR_BODY_LIMIT in bytes, default 1 MiB. */
  bodyLimit: number;
  logFormat: 'json' | 'text';
  /** Enrichment (RATCHET_GEOIP_*), trusted proxies, raw topics and their consumer group: see `CollectorOptions`. */
  collector: CollectorOptions;
  platform: PlatformConfig;
  /** The built-in sources and those defined in the JSON file RATCHET_SOURCES names (default: none). */
  sources: SourceCatalogue;
}

export function readCollectorConfig(env: NodeJS.ProcessEnv = process.env): CollectorConfig {
  const read = envReader(env);
  return {
    host: read.string('COLLECTOR_HOST', '127.0.0.1'),
    port: read.int('COLLECTOR_PORT', 8081, { max: 65_535 }),
    bodyLimit: read.int('COLLECTOR_BODY_LIMIT', 1_048_576, { min: 1_024 }),
    logFormat: read.oneOf('LOG_FORMAT', ['json', 'text'] as const, 'json'),
    collector: readCollectorOptions(env),
    platform: readPlatformConfig(env, 'collector'),
    sources: readSourceCatalogue(env),
  };
}
