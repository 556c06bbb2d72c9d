import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Kafka and Redis on loopback, from scripts/infra.sh. */
export interface Infra {
  kafkaBrokers: string;
  redisUrl: string;
  /** Whether this run started them (and so must stop them). */
  startedHere: boolean;
}

function parseExports(stdout: string): { kafkaBrokers: string; redisUrl: string } {
  const value = (name: string): string => {
    const match = new RegExp(`^export ${name}=(\\S+)$`, 'm').exec(stdout);
    if (!match?.[1]) throw new Error(`scripts/infra.sh printed no ${name}`);
    return match[1];
  };
  return { kafkaBrokers: value('KAFKA_BROKERS'), redisUrl: value('REDIS_URL') };
}

/** Uses the running infrastructure, or starts it (`infra.sh up`) when `status` says it is not up. */
export async function ensureInfra(root: string): Promise<Infra> {
  const script = 'scripts/infra.sh';
  const up = await run('bash', [script, 'status'], { cwd: root }).then(
    () => true,
    () => false,
  );
  if (up) return { ...parseExports((await run('bash', [script, 'env'], { cwd: root })).stdout), startedHere: false };
  const started = await run('bash', [script, 'up'], { cwd: root, timeout: 240_000, maxBuffer: 1 << 20 });
  return { ...parseExports(started.stdout), startedHere: true };
}

export async function stopInfra(root: string): Promise<void> {
  await run('bash', ['scripts/infra.sh', 'down'], { cwd: root, timeout: 60_000 });
}

/** For an interrupted run, which cannot wait for a promise. */
export function stopInfraSync(root: string): void {
  spawnSync('bash', ['scripts/infra.sh', 'down'], { cwd: root, stdio: 'ignore', timeout: 60_000 });
}

/**
 * Removes what one run left in a Kafka and Redis that outlive it: its keys (`<runId>:*`, kept for
 * up to 90 days otherwise, and slowing every later run's Redis) and its topics (`<runId>.*`).
 * Answers what it removed, for the run's notes.
 */
export async function forgetRun(infra: Infra, runId: string): Promise<string> {
  const { Redis } = await import('ioredis');
  const { Kafka, logLevel } = await import('kafkajs');
  const redis = new Redis(infra.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  let keys = 0;
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${runId}:*`, 'COUNT', 1_000);
      if (found.length > 0) keys += await redis.unlink(...found);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  const admin = new Kafka({ clientId: 'ratchet-bench-cleanup', brokers: infra.kafkaBrokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${runId}.`));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 30_000 });
    return `removed this run's ${keys} Redis keys and ${topics.length} Kafka topics`;
  } finally {
    await admin.disconnect();
  }
}
