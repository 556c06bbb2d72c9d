import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import type { CheckRequest } from '@ratchet/chains';
import { systemClock } from '@ratchet/kernel';
import { RatchetMetrics, Readiness } from '@ratchet/platform';
import { createRedisClient, RedisDecisionStore, RedisTokenBuckets } from '@ratchet/platform/services';
import { awaitUntil, decisionOf, freePort, uniqueName } from '@ratchet/testing';
import { DecisionMirrorService } from '../decision-mirror.service';
import { FastPathService } from './fast-path.service';

/**
 * Fail modes against a Redis that really goes away: a redis-server of this test's own, on a free
 * loopback port (never the shared one), stopped halfway and started again.
 */
describe('fail modes when Redis is unreachable', { timeout: 60_000 }, () => {
  let port: number;
  let redis: ChildProcess | undefined;
  let mirror: DecisionMirrorService;
  let fastPath: FastPathService;
  let store: RedisDecisionStore;
  let buckets: RedisTokenBuckets;
  const attacker = '203.0.113.77';
  const scraper = '203.0.113.78';
  const benign = '198.51.100.7';
  const request = (clientIp: string, path = '/'): CheckRequest => ({ clientIp, path, method: 'GET' });

  before(async () => {
    port = await freePort();
    await startRedis();
    const prefix = `${uniqueName('ratchet')}:`;
    // Connection errors while Redis is down are the point of the test; they surface as rejected commands.
    const [decisionClient, bucketClient] = await Promise.all([createRedisClient(`redis://127.0.0.1:${port}`, 'fail-mode-decisions'), createRedisClient(`redis://127.0.0.1:${port}`, 'fail-mode-buckets')]);
    for (const client of [decisionClient, bucketClient]) client.on('error', () => undefined);
    store = new RedisDecisionStore(decisionClient, prefix);
    buckets = new RedisTokenBuckets(bucketClient, prefix);
    const metrics = new RatchetMetrics();
    mirror = new DecisionMirrorService(store, systemClock, metrics, new Readiness());
    await mirror.onModuleInit();
    fastPath = new FastPathService(mirror, buckets, systemClock, metrics);
    const now = Date.now();
    await store.put([
      decisionOf('ingress.deny', `ip:${attacker}`, { decidedAt: now, ttlMs: 15 * 60_000 }),
      decisionOf('ingress.rate-limit', `ip:${scraper}`, { decidedAt: now, ttlMs: 15 * 60_000, params: { rps: 0.01, burst: 100 } }),
    ]);
    await awaitUntil('the pushed decisions', () => (mirror.enforcedAll([`ip:${attacker}`, `ip:${scraper}`]).length === 2 ? true : undefined));
  });

  after(async () => {
    await mirror?.onApplicationShutdown();
    await store?.close();
    await buckets?.close();
    await stopRedis();
  });

  it('answers from Redis while it is up', async () => {
    assert.equal((await fastPath.check(request(attacker), 'closed')).outcome, 'deny');
    assert.equal((await fastPath.check(request(scraper), 'closed')).outcome, 'allow');
  });

  it('skips rate limits on a fail-open route and refuses on a fail-closed one when the buckets are unreachable', async () => {
    await stopRedis();
    assert.equal((await fastPath.check(request(scraper), 'open')).outcome, 'allow');
    const closed = await fastPath.check(request(scraper), 'closed');
    assert.deepEqual(closed, { outcome: 'unavailable', reason: 'rate-limit buckets unreachable; this route fails closed' });
  });

  it('answers from the last known decisions on a fail-open route and refuses everyone on a fail-closed one once the store cannot be read', async () => {
    assert.equal(await mirror.resync(), false);
    assert.ok(mirror.staleSince() !== undefined);
    assert.equal((await fastPath.check(request(attacker), 'open')).outcome, 'deny');
    assert.equal((await fastPath.check(request(benign), 'open')).outcome, 'allow');
    assert.equal((await fastPath.check(request(benign), 'closed')).outcome, 'unavailable');
  });

  it('lets a fail-closed route through again once Redis is back', async () => {
    await startRedis();
    await awaitUntil('the store to be read again', async () => ((await mirror.resync()) ? true : undefined), { everyMs: 100 });
    assert.equal(mirror.staleSince(), undefined);
    assert.equal((await fastPath.check(request(benign), 'closed')).outcome, 'allow');
    // The restarted Redis kept nothing (no persistence); the mirror still knows the denial.
    assert.equal((await fastPath.check(request(attacker), 'closed')).outcome, 'deny');
  });

  async function startRedis(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    redis = child;
    let exited = false;
    child.once('exit', () => (exited = true));
    await awaitUntil('redis-server to accept connections', async () => {
      if (exited) throw new Error(`redis-server on ${port} exited`);
      const client = await createRedisClient(`redis://127.0.0.1:${port}`, 'fail-mode-probe').catch(() => undefined);
      client?.disconnect();
      return client ? true : undefined;
    });
  }

  async function stopRedis(): Promise<void> {
    const child = redis;
    redis = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }
});
