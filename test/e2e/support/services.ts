import { join } from 'node:path';
import { freePort } from '@ratchet/testing';
import { answers200, Child } from './child';

const ROOT = join(__dirname, '..', '..', '..');

/** A service of the services shape, or `ratchet`: the embedded shape in one process. */
export type ServiceName = 'collector' | 'scorer' | 'enforcer' | 'ratchet';

/** One Ratchet service running as its own process, as in production. */
export class ServiceProcess {
  private child: Child | undefined;

  constructor(
    readonly name: ServiceName,
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts the process and resolves once GET /readyz answers 200. */
  async start(): Promise<void> {
    const upper = this.name.toUpperCase();
    this.child = new Child(this.name, process.execPath, ['-r', '@swc-node/register', join('apps', this.name, 'src', 'main.ts')], {
      cwd: ROOT,
      env: { ...process.env, NODE_OPTIONS: '', ...this.env, [`${upper}_HOST`]: '127.0.0.1', [`${upper}_PORT`]: String(this.port), LOG_FORMAT: 'json' },
    });
    await this.child.awaitReady(() => answers200(`${this.url}/readyz`));
  }

  /** Stops the process with `signal` (SIGKILL: no chance to commit or clean up) and awaits its exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.child?.stop(signal);
  }

  log(): string {
    return this.child?.log() ?? '';
  }
}

export { freePort };

/** Reads one counter's value from a service's Prometheus text. */
export async function metricValue(service: ServiceProcess, name: string): Promise<number> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.split(' ').pop()) : 0;
}

/**
 * The environment a service needs on the shared Kafka and Redis under its own topic and key
 * prefix, with ext_authz gRPC on a free port (the enforcer's default, 9191, may be taken).
 */
export function sharedInfraEnv(infra: { kafkaBrokers: string[]; redisUrl: string }, prefix: string): Record<string, string> {
  return {
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: prefix,
    REDIS_URL: infra.redisUrl,
    REDIS_KEY_PREFIX: prefix,
    RATCHET_EXT_AUTHZ_GRPC_PORT: '0',
    RATCHET_TRACE_SAMPLE_RATIO: '0',
    LOG_LEVEL: 'warn',
  };
}

/** Collector, scorer and enforcer of the services shape, each its own process on the shared Kafka and Redis. */
export interface ServicesShape {
  collector: ServiceProcess;
  scorer: ServiceProcess;
  enforcer: ServiceProcess;
  stop(): Promise<void>;
  /** The three processes' last output, for a failure message. */
  log(): string;
}

/**
 * Starts the services shape with `env` (see `sharedInfraEnv`) on free ports, one process after
 * another: three Node processes compiling TypeScript at once crowd two cores.
 */
export async function startServicesShape(env: Record<string, string>): Promise<ServicesShape> {
  const [c, s, e] = await Promise.all([freePort(), freePort(), freePort()]);
  const collector = new ServiceProcess('collector', c, env);
  const scorer = new ServiceProcess('scorer', s, env);
  const enforcer = new ServiceProcess('enforcer', e, env);
  const all = [collector, scorer, enforcer];
  const stop = async (): Promise<void> => void (await Promise.all(all.map((service) => service.stop())));
  try {
    for (const service of all) await service.start();
  } catch (err) {
    await stop();
    throw err;
  }
  return { collector, scorer, enforcer, stop, log: () => all.map((service) => `--- ${service.name} ---\n${service.log()}`).join('\n') };
}
