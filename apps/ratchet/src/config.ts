import { envReader, readLogLevels, readPlatformConfig, readSourceCatalogue, type PlatformConfig } from '@ratchet/platform';
import type { SourceCatalogue } from '@ratchet/sources';

/** The embedded shape's settings; every default is beside its variable. */
export interface EmbeddedConfig {
  host: string;
  port: number;
  bodyLimit: number;
  trustedProxies: string[];
  allowlist: string[];
  logFormat: 'json' | 'text';
  /** LOG_LEVEL: error | warn | log (default) | debug. */
  logLevels: PlatformConfig['logLevels'];
  telemetry: PlatformConfig['telemetry'];
  /** The built-in sources and those defined in the JSON file RATCHET_SOURCES names. Default: the built-in ones. */
  sources?: SourceCatalogue;
}

export function readEmbeddedConfig(env: NodeJS.ProcessEnv = process.env): EmbeddedConfig {
  const read = envReader(env);
  return {
    host: read.string('RATCHET_HOST', '127.0.0.1'),
    port: read.int('RATCHET_PORT', 8080, { min: 0, max: 65_535 }),
    bodyLimit: read.int('COLLECTOR_BODY_LIMIT', 1_048_576, { min: 1_024 }),
    trustedProxies: read.list('ENFORCER_TRUSTED_PROXIES', ['127.0.0.1/32', '::1/128']),
    allowlist: read.list('ENFORCER_ALLOWLIST', []),
    logFormat: read.oneOf('LOG_FORMAT', ['json', 'text'] as const, 'text'),
    logLevels: readLogLevels(env),
    telemetry: readPlatformConfig(env, 'ratchet').telemetry,
    sources: readSourceCatalogue(env),
  };
}

/** What `ratchet ingest` needs from the environment: the sources it may name (RATCHET_SOURCES, as the server reads it). */
export function readIngestSources(env: NodeJS.ProcessEnv = process.env): SourceCatalogue {
  return readSourceCatalogue(env);
}
