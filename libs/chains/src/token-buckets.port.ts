import type { BucketAnswer } from './verdict';

/** One take of one token from the bucket `key` (created full, `burst` tokens, on first use). */
export interface BucketTake {
  key: string;
  ratePerSecond: number;
  burst: number;
  /** The bucket may be forgotten once this has passed (epoch ms: the decision's expiry). */
  expiresAt: number;
}

/**
 * Token buckets shared by every enforcer replica, so a rate limit holds however requests are
 * spread (Redis in production, timed by the Redis server's clock; memory when embedded). Each
 * take is atomic; answers come in the order of `takes`.
 */
export interface TokenBuckets {
  take(takes: readonly BucketTake[]): Promise<BucketAnswer[]>;
  close(): Promise<void>;
}

export const TOKEN_BUCKETS = Symbol.for('ratchet.TokenBuckets');
