import { AppError } from '@ratchet/kernel';

export class ConfigError extends AppError {
  constructor(variable: string, problem: string) {
    super('CONFIG.INVALID', `${variable}: ${problem}`);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Typed readers over an environment. Apps call them only from their `config.ts`, which is the
 * one place that reads `process.env`; every error names the variable.
 */
export function envReader(env: Env) {
  const raw = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };
  return {
    string(name: string, fallback: string): string {
      return raw(name) ?? fallback;
    },
    int(name: string, fallback: number, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}): number {
      const value = raw(name);
      if (value === undefined) return fallback;
      const n = Number(value);
      if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(name, `"${value}" must be a whole number from ${min} to ${max}`);
      return n;
    },
    ratio(name: string, fallback: number): number {
      const value = raw(name);
      if (value === undefined) return fallback;
      const n = Number(value);
      if (!Number.isFinite(n) || n < 0 || n > 1) throw new ConfigError(name, `"${value}" must be a number from 0 to 1`);
      return n;
    },
    list(name: string, fallback: readonly string[]): string[] {
      const value = raw(name);
      if (value === undefined) return [...fallback];
      return value.split(',').map((s) => s.trim()).filter(Boolean);
    },
    oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
      const value = raw(name);
      if (value === undefined) return fallback;
      if (!(allowed as readonly string[]).includes(value)) throw new ConfigError(name, `"${value}" must be one of ${allowed.join(', ')}`);
      return value as T;
    },
    hostPort(name: string, fallback: readonly string[]): string[] {
      const list = this.list(name, fallback);
      for (const item of list) if (!/^[\w.-]+:\d{1,5}$/.test(item)) throw new ConfigError(name, `"${item}" must be host:port`);
      return list;
    },
    url(name: string, fallback: string, protocols: readonly string[]): string {
      const value = raw(name) ?? fallback;
      let parsed: URL;
      try {
        parsed = new URL(value);
      } catch {
        throw new ConfigError(name, `"${value}" is not a URL`);
      }
      if (!protocols.includes(parsed.protocol)) throw new ConfigError(name, `must use ${protocols.join(' or ')}`);
      return value;
    },
  };
}

/** RATCHET_CHAINS: the chain file or directory the enforcer loads and watches; absent → the shipped defaults. */
export function readChainsPath(read: ReturnType<typeof envReader>): { chainsPath?: string } {
  const path = read.string('RATCHET_CHAINS', '');
  return path === '' ? {} : { chainsPath: path };
}

/**
 * Whose X-Forwarded-For / X-Real-IP the enforcer believes: ENFORCER_TRUSTED_PROXIES, else
 * RATCHET_TRUSTED_PROXIES (shared with the collector), else loopback.
 */
export function readEnforcerTrustedProxies(read: ReturnType<typeof envReader>): string[] {
  return read.list('ENFORCER_TRUSTED_PROXIES', read.list('RATCHET_TRUSTED_PROXIES', ['127.0.0.1/32', '::1/128']));
}

/** The enforcer's caps no chain can lift: ENFORCER_MAX_NEW_ACTIONS_PER_MINUTE (default 1000), ENFORCER_MAX_ACTIVE_ACTIONS (default 10000). */
export function readActionCaps(read: ReturnType<typeof envReader>): { newPerMinute: number; active: number } {
  return {
    newPerMinute: read.int('ENFORCER_MAX_NEW_ACTIONS_PER_MINUTE', 1_000, { min: 1 }),
    active: read.int('ENFORCER_MAX_ACTIVE_ACTIONS', 10_000, { min: 1 }),
  };
}

/** Settings every service shares. */
/** Nest log levels from LOG_LEVEL (`error`, `warn`, `log`, `debug`): that level and the ones above it. */
export function readLogLevels(env: Env): Array<'fatal' | 'error' | 'warn' | 'log' | 'debug'> {
  const order = ['fatal', 'error', 'warn', 'log', 'debug'] as const;
  const level = envReader(env).oneOf('LOG_LEVEL', ['error', 'warn', 'log', 'debug'] as const, 'log');
  return order.slice(0, order.indexOf(level) + 1);
}

export interface PlatformConfig {
  kafka: { brokers: string[]; clientId: string; topicPrefix: string; partitions: number; sessionTimeoutMs: number };
  redis: { url: string; keyPrefix: string };
  telemetry: { exporter: 'none' | 'otlp' | 'console'; sampleRatio: number };
  logLevels: ReturnType<typeof readLogLevels>;
}

export function readPlatformConfig(env: Env, service: string): PlatformConfig {
  const read = envReader(env);
  return {
    kafka: {
      brokers: read.hostPort('KAFKA_BROKERS', ['127.0.0.1:9092']),
      clientId: read.string('KAFKA_CLIENT_ID', `ratchet-${service}`),
      topicPrefix: read.string('KAFKA_TOPIC_PREFIX', ''),
      partitions: read.int('KAFKA_PARTITIONS', 4, { min: 1, max: 1024 }),
      sessionTimeoutMs: read.int('KAFKA_SESSION_TIMEOUT_MS', 10_000, { min: 6_000, max: 300_000 }),
    },
    redis: { url: read.url('REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']), keyPrefix: read.string('REDIS_KEY_PREFIX', 'ratchet:') },
    telemetry: {
      exporter: read.oneOf('RATCHET_TRACES_EXPORTER', ['none', 'otlp', 'console'] as const, 'none'),
      sampleRatio: read.ratio('RATCHET_TRACE_SAMPLE_RATIO', 0.01),
    },
    logLevels: readLogLevels(env),
  };
}
