import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { stateKey, type StateOp, type StateResult } from '@ratchet/detection';
import { AppError } from '@ratchet/kernel';
import { awaitUntil, denyAction, describeDecisionStoreContract, describeSignalStoreContract, describeStateStoreContract, describeTokenBucketsContract, testInfra, uniqueName } from '@ratchet/testing';
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

  it('answers a sign-in burst in one call as one operation per call would, and leaves the same state', async () => {
    // A login target's windows are touched by every sign-in, the population's counters by every
    // success: the script keeps what it learnt about such keys for the rest of the call. Events
    // arrive out of order (one ten minutes late, at the retention's edge); two come again with
    // another time, one after it was trimmed and one past the newest; every tenth event a rule
    // looks back 15 minutes on the 5-minute window's key, past what its retention keeps; sets and
    // counters cross their caps mid-chunk, so what is forgotten early is counted afresh.
    const T0 = Date.parse('2026-11-24T08:00:00Z');
    const users = ['alice@example.com', 'bob@example.com', 'carol@example.com'];
    const countries = ['DE', 'FR', 'NL', 'US', 'GB', 'PL', 'IT', 'ES'];
    const ops: StateOp[] = [];
    for (let i = 0; i < 180; i++) {
      const at = i === 97 ? T0 + (i - 60) * 10_000 : T0 + i * 10_000;
      const id = i === 120 ? 'evt-56' : i === 150 ? 'evt-149' : `evt-${i}`;
      const user = users[i % 3] as string;
      const country = countries[(i * 5) % countries.length] as string;
      ops.push(
        { kind: 'window.count', key: 'cs:attempts', of: 'login.example.com', member: id, at, windowMs: 300_000 },
        { kind: 'window.distinct', key: 'cs:principals', of: 'login.example.com', member: user, at, windowMs: 300_000 },
        { kind: 'set.add', key: 'nc:user', of: user, member: country, at, maxMembers: 4, retainMs: 3_600_000 },
        { kind: 'counter.add', key: 'lr:all', fields: ['n', `country:${country}`, `country:${country}`], at, maxFields: 6, retainMs: 3_600_000 },
        { kind: 'counter.add', key: 'lr:user', of: user, fields: ['n', `country:${country}`], at, maxFields: 3, retainMs: 3_600_000 },
      );
      if (i % 10 === 4) ops.push({ kind: 'window.count', key: 'cs:attempts', of: 'login.example.com', at, windowMs: 900_000 });
    }
    // The last event again an hour later (its retention behind leaves nothing), then the next one.
    const attempt = (member: string, at: number) => ({ kind: 'window.count', key: 'cs:attempts', of: 'login.example.com', member, at, windowMs: 300_000 }) as const;
    ops.push(attempt('evt-179', T0 + 1_790_000 + 3_600_000), attempt('evt-180', T0 + 1_800_000));
    const [oneCall, oneByOne] = [`${uniqueName('ratchet')}:state:`, `${uniqueName('ratchet')}:state:`];
    const batched = new RedisStateStore(redisUrl, oneCall);
    const single = new RedisStateStore(redisUrl, oneByOne);
    try {
      const expected: StateResult[] = [];
      for (const op of ops) expected.push(...(await single.execute([op])));
      assert.deepEqual(await batched.execute(ops), expected);
      const keys = [...new Set(ops.map(stateKey))].flatMap((key) => [key, `@at:${key}`]);
      assert.deepEqual(await stateOf(oneCall, keys), await stateOf(oneByOne, keys));
    } finally {
      await Promise.all([batched.close(), single.close()]);
    }
  });

  it('expires a counter and its recency set together, retainMs after the last count', async () => {
    const prefix = `${uniqueName('ratchet')}:state:`;
    const store = new RedisStateStore(redisUrl, prefix);
    try {
      await store.execute([{ kind: 'counter.add', key: 'user:alice@example.com', fields: ['n'], at: Date.now(), maxFields: 8, retainMs: 90_000 }]);
      for (const key of [`${prefix}user:alice@example.com`, `${prefix}@at:user:alice@example.com`]) {
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

  /** Every member with its score, or every field with its value, of each key under `prefix`. */
  async function stateOf(prefix: string, keys: readonly string[]): Promise<unknown[]> {
    return Promise.all(
      keys.map(async (key) => {
        const type = await inspector.type(prefix + key);
        if (type === 'zset') return inspector.zrange(prefix + key, 0, -1, 'WITHSCORES');
        if (type === 'hash') return inspector.hgetall(prefix + key);
        return type;
      }),
    );
  }
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

describe('RedisDecisionStore and records that are not decisions', () => {
  it('leaves them out of the decisions in force and names each one, or fails naming it when nobody listens', async () => {
    const prefix = `${uniqueName('ratchet')}:`;
    const now = Date.now();
    const action = denyAction(`ip:${uniqueName('198.51.100')}`, now, 15 * 60_000);
    const store = new RedisDecisionStore(await createRedisClient(redisUrl, 'unreadable-decisions'), prefix);
    const raw = new Redis(redisUrl, redisClientOptions('unreadable-decisions-raw'));
    try {
      await store.put([action]);
      // An operator's hand edit and a record that lost its expiry.
      await raw.hset(`${prefix}decisions`, 'hand-edit', '{deny 203.0.113.9', 'no-expiry', JSON.stringify({ id: 'no-expiry', entity: 'ip:203.0.113.10' }));

      const unreadable: Array<{ id: string | undefined; problem: string }> = [];
      assert.deepEqual(await store.active(now, (record) => unreadable.push(record)), [action]);
      assert.deepEqual(
        unreadable.sort((a, b) => String(a.id).localeCompare(String(b.id))),
        [
          { id: 'hand-edit', problem: 'not JSON' },
          { id: 'no-expiry', problem: 'no numeric expiresAt' },
        ],
      );
      await assert.rejects(store.active(now), (err: unknown) => err instanceof AppError && err.code === 'PLATFORM.REDIS_INVALID_DECISION' && /decision (hand-edit|no-expiry) in .*decisions is not an enforcement action/.test(err.message));
      assert.equal(await raw.hlen(`${prefix}decisions`), 3, 'unreadable records stay for an operator to look at');
    } finally {
      await store.close();
      raw.disconnect();
    }
  });

  it('hands a pushed record that is not a decision to the watcher’s second listener, and keeps pushing decisions', async () => {
    const prefix = `${uniqueName('ratchet')}:`;
    const store = new RedisDecisionStore(await createRedisClient(redisUrl, 'unreadable-pushes'), prefix);
    const raw = new Redis(redisUrl, redisClientOptions('unreadable-pushes-raw'));
    const pushed: string[] = [];
    const unreadable: Array<{ id: string | undefined; problem: string }> = [];
    const watch = await store.watch(
      (a) => pushed.push(a.id),
      (record) => unreadable.push(record),
    );
    try {
      await raw.publish(`${prefix}decisions:changes`, JSON.stringify({ id: 'from-elsewhere', expiresAt: 'soon' }));
      const action = denyAction(`ip:${uniqueName('198.51.100')}`, Date.now(), 60_000);
      await store.put([action]);
      await awaitUntil('the decision pushed after the unreadable one', () => (pushed.includes(action.id) ? true : undefined));
      assert.deepEqual(unreadable, [{ id: 'from-elsewhere', problem: 'no numeric expiresAt' }]);
    } finally {
      await watch.close();
      await store.close();
      raw.disconnect();
    }
  });
});
