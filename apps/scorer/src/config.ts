import { envReader, readDetectorConfig, readPlatformConfig, type DetectorConfig, type PlatformConfig } from '@ratchet/platform';

export interface ScorerConfig {
  /** SCORER_HOST, default 127.0.0.1 (health, metrics, GET /v1/entities and /v1/signals). */
  host: string;
  /** SCORER_PORT, default 8082. */
  port: number;
  /** SCORER_GROUP, the consumer group of all scorer replicas, default ratchet-scorer. */
  group: string;
  logFormat: 'json' | 'text';
  /** RATCHET_DETECTORS (settings file), RATCHET_INTEL_BLOCKLISTS, RATCHET_INTEL_ANONYMIZERS (feed files); default none. */
  detectors: DetectorConfig;
  platform: PlatformConfig;
}

/** `now` judges STIX indicators' validity; the wall clock unless a test fixes it. */
export function readScorerConfig(env: NodeJS.ProcessEnv = process.env, now = Date.now()): ScorerConfig {
  const read = envReader(env);
  return {
    host: read.string('SCORER_HOST', '127.0.0.1'),
    port: read.int('SCORER_PORT', 8082, { max: 65_535 }),
    group: read.string('SCORER_GROUP', 'ratchet-scorer'),
    logFormat: read.oneOf('LOG_FORMAT', ['json', 'text'] as const, 'json'),
    detectors: readDetectorConfig(env, now),
    platform: readPlatformConfig(env, 'scorer'),
  };
}
