import { envReader, readPlatformConfig, type PlatformConfig } from '@ratchet/platform';

export interface ScorerConfig {
  /** SCORER_HOST, default 127.0.0.1 (health and metrics only). */
  host: string;
  /** SCORER_PORT, default 8082. */
  port: number;
  /** SCORER_GROUP, the consumer group of all scorer replicas, default ratchet-scorer. */
  group: string;
  logFormat: 'json' | 'text';
  platform: PlatformConfig;
}

export function readScorerConfig(env: NodeJS.ProcessEnv = process.env): ScorerConfig {
  const read = envReader(env);
  return {
    host: read.string('SCORER_HOST', '127.0.0.1'),
    port: read.int('SCORER_PORT', 8082, { max: 65_535 }),
    group: read.string('SCORER_GROUP', 'ratchet-scorer'),
    logFormat: read.oneOf('LOG_FORMAT', ['json', 'text'] as const, 'json'),
    platform: readPlatformConfig(env, 'scorer'),
  };
}
