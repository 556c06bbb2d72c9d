import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { BucketTake, TokenBuckets } from '@ratchet/chains';
import { awaitUntil } from '../await-until';
import { uniqueName } from '../infra';

/** Two replicas' views of the same buckets (for memory, the same instance twice). */
export type TokenBucketsFactory = () => Promise<{ a: TokenBuckets; b: TokenBuckets }>;

/**
 * The behaviour every TokenBuckets adapter must have: memory when embedded, Redis for real.
 * Both run on a real clock (Redis times buckets by its own), so rates are chosen so that the
 * test's own pace cannot refill a bucket between two takes.
 */
export function describeTokenBucketsContract(adapter: string, open: TokenBucketsFactory): void {
  describe(`TokenBuckets contract: ${adapter}`, () => {
    const opened: TokenBuckets[] = [];
    const pair = async () => {
      const p = await open();
      opened.push(p.a, p.b);
      return p;
    };
    after(async () => Promise.all([...new Set(opened)].map((b) => b.close())));
    /** One token every 100 s: no refill during a test. */
    const slow = (key: string, burst: number): BucketTake => ({ key, ratePerSecond: 0.01, burst, expiresAt: Date.now() + 15 * 60_000 });

    it('grants a full burst, then refuses and says how long until the next token', async () => {
      const { a } = await pair();
      const key = uniqueName('ip:203.0.113');
      const answers = await a.take([1, 2, 3, 4].map(() => slow(key, 3)));
      assert.deepEqual(answers.map((x) => x.allowed), [true, true, true, false]);
      const wait = answers[3]?.retryAfterMs ?? 0;
      assert.ok(wait > 90_000 && wait <= 100_000, `retry after ${wait} ms`);
      assert.deepEqual(answers.slice(0, 3).map((x) => x.retryAfterMs), [0, 0, 0]);
    });

    it('keeps one bucket per key', async () => {
      const { a } = await pair();
      const [first, second] = [uniqueName('ip:203.0.113'), uniqueName('ip:198.51.100')];
      assert.deepEqual((await a.take([slow(first, 1), slow(first, 1), slow(second, 1)])).map((x) => x.allowed), [true, false, true]);
    });

    it('shares a bucket between replicas', async () => {
      const { a, b } = await pair();
      const key = uniqueName('user:mallory');
      assert.equal((await a.take([slow(key, 2)]))[0]?.allowed, true);
      assert.equal((await b.take([slow(key, 2)]))[0]?.allowed, true);
      assert.equal((await a.take([slow(key, 2)]))[0]?.allowed, false);
    });

    it('refills at its rate after running dry', async () => {
      const { a } = await pair();
      const key = uniqueName('ip:192.0.2');
      const fast: BucketTake = { key, ratePerSecond: 20, burst: 1, expiresAt: Date.now() + 60_000 };
      await a.take([fast]);
      // Taken again at once, then granted once a twentieth of a second has refilled a token.
      await awaitUntil('a refused take', async () => ((await a.take([fast]))[0]?.allowed === false ? true : undefined), { everyMs: 0, timeoutMs: 5_000 });
      await awaitUntil('a refilled token', async () => ((await a.take([fast]))[0]?.allowed ? true : undefined), { everyMs: 10, timeoutMs: 5_000 });
    });

    it('answers nothing for no takes', async () => {
      const { a } = await pair();
      assert.deepEqual(await a.take([]), []);
    });
  });
}
