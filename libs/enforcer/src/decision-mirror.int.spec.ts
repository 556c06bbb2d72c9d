import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { systemClock } from '@ratchet/kernel';
import { RatchetMetrics, Readiness } from '@ratchet/platform';
import { createRedisClient, RedisDecisionStore, RedisTokenBuckets } from '@ratchet/platform/services';
import { decisionOf, testInfra, uniqueName } from '@ratchet/testing';
import { DecisionMirrorService } from './decision-mirror.service';
import { FastPathService } from './fast-path/fast-path.service';

const { redisUrl } = testInfra();

/**
 * One record in the decision store that is not a decision — a hand edit, a half-written record
 * from another version — against a real Redis: the replica still starts, enforces the rest, and
 * does not take the record for the store being unreachable (which would refuse everyone on
 * fail-closed routes).
 */
describe('decision mirror with a record that is not a decision', () => {
  const attacker = '203.0.113.91';
  const benign = '198.51.100.91';
  let store: RedisDecisionStore;
  let buckets: RedisTokenBuckets;
  let raw: Redis;
  let mirror: DecisionMirrorService;
  let metrics: RatchetMetrics;

  before(async () => {
    const prefix = `${uniqueName('ratchet')}:`;
    store = new RedisDecisionStore(await createRedisClient(redisUrl, 'mirror-unreadable'), prefix);
    buckets = new RedisTokenBuckets(await createRedisClient(redisUrl, 'mirror-unreadable-buckets'), prefix);
    raw = new Redis(redisUrl);
    await store.put([decisionOf('ingress.deny', `ip:${attacker}`, { decidedAt: Date.now(), ttlMs: 15 * 60_000 })]);
    await raw.hset(`${prefix}decisions`, 'hand-edit', 'deny 203.0.113.92 please');
    metrics = new RatchetMetrics();
    mirror = new DecisionMirrorService(store, systemClock, metrics, new Readiness());
    await mirror.onModuleInit();
  });

  after(async () => {
    await mirror?.onApplicationShutdown();
    await store?.close();
    await buckets?.close();
    raw?.disconnect();
  });

  it('starts and enforces the decisions it can read', async () => {
    const fastPath = new FastPathService(mirror, buckets, systemClock, metrics);
    assert.equal((await fastPath.check({ clientIp: attacker, path: '/', method: 'GET' }, 'closed')).outcome, 'deny');
    assert.equal((await fastPath.check({ clientIp: benign, path: '/', method: 'GET' }, 'closed')).outcome, 'allow');
  });

  it('counts the unreadable record and keeps reading the store as reachable', async () => {
    assert.equal(await mirror.resync(), true);
    assert.equal(mirror.staleSince(), undefined);
    const gauge = await metrics.unreadableDecisions.get();
    assert.equal(gauge.values[0]?.value, 1);
  });
});
