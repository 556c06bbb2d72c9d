import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { AppError } from '@ratchet/kernel';
import { denyAction, describeDecisionStoreContract, describeSignalStoreContract, describeStateStoreContract, describeTokenBucketsContract, testInfra, uniqueName } from '@ratchet/testing';
import { createRedisClient, redisClientOptions } from './redis-client';
import { RedisDecisionStore } from './redis-decision-store';
import { RedisSignalStore } from './redis-signal-store';
import { RedisStateStore } from './redis-state-store';
import { RedisTokenBuckets } from './redis-token-buckets';

const { redisUrl } = testInfra();
/** Nothing listens here: connections are refused at once. */
const UNREACHABLE_URL = 'redis://127.0.0.1:1';

describeStateStoreContract('redis', async () => new RedisStateStore(await createRedisClient(redisUrl, 'state-contract'), `${uniqueName('ratchet')}:state:`));

describeDecisionStoreContract('redis', async () => {
  const prefix = `${uniqueName('ratchet')}:`;
  const [a, b] = await Promise.all([createRedisClient(redisUrl, 'replica-a'), createRedisClient(redisUrl, 'replica-b')]);
  return { a: new RedisDecisionStore(a, prefix), b: new RedisDecisionStore(b, prefix) };
});

describeTokenBucketsContract('redis', async () => {
  const prefix = `${uniqueName('ratchet')}:`;
  const [a, b] = await Promise.all([createRedisClient(redisUrl, 'buckets-a'), createRedisClient(redisUrl, 'buckets-b')]);
  return { a: new RedisTokenBuckets(a, prefix), b: new RedisTokenBuckets(b, prefix) };
});

describeSignalStoreContract('redis', async (retention) => new RedisSignalStore(await createRedisClient(redisUrl, 'signal-contract'), `${uniqueName('ratchet')}:`, retention));

describe('RedisStateStore', () => {
  const inspector = new Redis(redisUrl);
  after(async () => void (await inspector.quit()));

  it('expires a window key twice the window after its last write', async () => {
    const prefix = `${uniqueName('ratchet')}:state:`;
    const store = new RedisStateStore(redisUrl, prefix);
    try {
      await store.execute([{ kind: 'window.count', key: 'ip:203.0.113.7', member: 'e1', at: Date.now(), windowMs: 60_000 }]);
      const ttl = await inspector.pttl(`${prefix}ip:203.0.113.7`);
      assert.ok(ttl > 60_000 && ttl <= 120_000, `ttl ${ttl}`);
    } finally {
      await store.close();
    }
  });

  it('answers a batch of several script calls in order, as if each operation ran alone', async () => {
    const store = new RedisStateStore(redisUrl, `${uniqueName('ratchet')}:state:`);
    const T0 = Date.parse('2026-03-02T09:00:00Z');
    try {
      // 300 failed logins from one address, each also counted per user: 600 operations, and the
      // counters take two keys each, so chunk boundaries fall between and inside users' runs.
      const ops = Array.from({ length: 300 }, (_, i) => [
        { kind: 'window.count', key: 'ip:203.0.113.7', member: `evt-${i}`, at: T0 + i * 1_000, windowMs: 600_000 },
        { kind: 'counter.add', key: `user:u${i % 3}@example.com`, fields: ['n', 'cc:DE'], at: T0 + i * 1_000, maxFields: 8, retainMs: 3_600_000 },
      ] as const).flat();
      const merge = { kind: 'record.merge', key: 'ip:203.0.113.7:last', fields: { at: String(T0) }, retainMs: 60_000, answer: 'before' } as const;
      const results = await store.execute([...ops, merge, { ...merge, fields: { at: String(T0 + 1) } }]);
      const expected = Array.from({ length: 300 }, (_, i) => [i + 1, [Math.floor(i / 3) + 1, Math.floor(i / 3) + 1]]).flat();
      assert.deepEqual(results, [...expected, {}, { at: String(T0) }]);
    } finally {
      await store.close();
    }
  });

  it('expires a counter and its recency set together, retainMs after the last count', async () => {
    const prefix = `${uniqueName('ratchet')}:state:`;
    const store = new RedisStateStore(redisUrl, prefix);
    try {
      await store.execute([{ kind: 'counter.add', key: 'user:alice@example.com', fields: ['n'], at: Date.now(), maxFields: 8, retainMs: 90_000 }]);
      for (const key of [`${prefix}user:alice@example.com`, `${prefix}user:alice@example.com:at`]) {
        const ttl = await inspector.pttl(key);
        assert.ok(ttl > 60_000 && ttl <= 90_000, `${key} ttl ${ttl}`);
      }
    } finally {
      await store.close();
    }
  });

  it('fails with a retryable PLATFORM.REDIS_UNAVAILABLE when Redis cannot be reached', async () => {
    const client = new Redis(UNREACHABLE_URL, redisClientOptions('unreachable'));
    client.on('error', () => undefined);
    const store = new RedisStateStore(client);
    try {
      await assert.rejects(
        store.execute([{ kind: 'record.merge', key: 'k', fields: { f: 'v' }, retainMs: 60_000 }]),
        (err: unknown) => err instanceof AppError && err.code === 'PLATFORM.REDIS_UNAVAILABLE' && err.retryable,
      );
    } finally {
      await store.close();
    }
  });
});

describe('createRedisClient', () => {
  it('fails fast with a retryable PLATFORM.REDIS_UNAVAILABLE when Redis cannot be reached', async () => {
    await assert.rejects(
      createRedisClient(UNREACHABLE_URL, 'unreachable'),
      (err: unknown) => err instanceof AppError && err.code === 'PLATFORM.REDIS_UNAVAILABLE' && err.retryable,
    );
  });
});

describe('RedisDecisionStore', () => {
  it('still lists a decision after the store restarts', async () => {
    const prefix = `${uniqueName('ratchet')}:`;
    const now = Date.now();
    const action = denyAction(`ip:${uniqueName('198.51.100')}`, now, 15 * 60_000);
    const before = new RedisDecisionStore(await createRedisClient(redisUrl, 'before-restart'), prefix);
    await before.put([action]);
    await before.close();

    const restarted = new RedisDecisionStore(await createRedisClient(redisUrl, 'after-restart'), prefix);
    try {
      assert.deepEqual(await restarted.active(now), [action]);
    } finally {
      await restarted.close();
    }
  });
});
