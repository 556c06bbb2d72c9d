import type { BucketAnswer, BucketTake, TokenBuckets } from '@ratchet/chains';
import { systemClock, type Clock } from '@ratchet/kernel';

interface Bucket {
  tokens: number;
  at: number;
  /** When the bucket is full again, or its decision over: past this, forgetting it changes nothing. */
  forgetAt: number;
}

/** Buckets swept once the map holds this many, so idle ones do not pile up. */
const SWEEP_ABOVE = 10_000;

/** Token buckets in one process (the embedded shape): same contract as the Redis adapter. */
export class MemoryTokenBuckets implements TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  /**
   * The map's size at which the next sweep runs: twice what the last one kept (at least
   * SWEEP_ABOVE), so a sweep that finds every bucket still live is not repeated on every request.
   */
  private sweepAt = SWEEP_ABOVE;

  constructor(private readonly clock: Clock = systemClock) {}

  async take(takes: readonly BucketTake[]): Promise<BucketAnswer[]> {
    const now = this.clock.now();
    if (this.buckets.size > this.sweepAt) this.sweep(now);
    return takes.map((take) => {
      const bucket = this.buckets.get(take.key);
      const answer = takeToken(bucket && bucket.forgetAt > now ? bucket : undefined, take, now);
      this.buckets.set(take.key, answer.bucket);
      return answer.answer;
    });
  }

  private sweep(now: number): void {
    for (const [key, bucket] of this.buckets) if (bucket.forgetAt <= now) this.buckets.delete(key);
    this.sweepAt = Math.max(SWEEP_ABOVE, 2 * this.buckets.size);
  }

  async close(): Promise<void> {
    this.buckets.clear();
  }
}

/** The token-bucket rule, as the Redis script applies it: refill since `at`, then take one. */
function takeToken(bucket: Bucket | undefined, take: BucketTake, now: number): { bucket: Bucket; answer: BucketAnswer } {
  const rate = take.ratePerSecond / 1_000;
  const refilled = bucket ? Math.min(take.burst, bucket.tokens + Math.max(0, now - bucket.at) * rate) : take.burst;
  const allowed = refilled >= 1;
  const tokens = allowed ? refilled - 1 : refilled;
  const forgetAt = Math.min(take.expiresAt, now + Math.ceil((take.burst - tokens) / rate) + 1);
  return { bucket: { tokens, at: now, forgetAt }, answer: { allowed, retryAfterMs: allowed ? 0 : Math.ceil((1 - tokens) / rate) } };
}
