import { Redis } from 'ioredis';
import type { BucketAnswer, BucketTake, TokenBuckets } from '@ratchet/chains';
import { closeRedisClient, redisClientOptions } from './redis-client';
import { redisError } from './redis-errors';

/**
 * Takes one token from each bucket, atomically, timed by the server's clock (`TIME`) so every
 * replica agrees whatever its own clock says. A missing bucket is a full one; each bucket
 * expires once it would be full again (or its decision is over), so idle buckets cost nothing.
 * KEYS: bucket keys. ARGV: (tokens per ms, burst, expiresAt ms)… Returns (allowed, retryAfterMs)…
 */
const TAKE_LUA = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local answers = {}
for i, key in ipairs(KEYS) do
  local rate, burst, expires = tonumber(ARGV[i * 3 - 2]), tonumber(ARGV[i * 3 - 1]), tonumber(ARGV[i * 3])
  local state = redis.call('HMGET', key, 'tokens', 'at')
  local tokens = burst
  if state[1] then tokens = math.min(burst, tonumber(state[1]) + math.max(0, now - tonumber(state[2])) * rate) end
  local allowed, wait = 0, 0
  if tokens >= 1 then
    tokens, allowed = tokens - 1, 1
  else
    wait = math.ceil((1 - tokens) / rate)
  end
  local ttl = math.min(math.ceil((burst - tokens) / rate) + 1, expires - now)
  if ttl > 0 then
    redis.call('HSET', key, 'tokens', string.format('%.17g', tokens), 'at', now)
    redis.call('PEXPIRE', key, ttl)
  else
    redis.call('DEL', key)
  end
  answers[#answers + 1] = allowed
  answers[#answers + 1] = wait
end
return answers
`;

interface BucketCommands {
  ratchetTakeTokens(keyCount: number, ...keysAndArgs: Array<string | number>): Promise<number[]>;
}

/**
 * Rate-limit buckets shared by every enforcer replica: a hash `<prefix>bucket:<key>` (tokens,
 * last refill) per bucket. All buckets of one take are in one script call, so the keys must
 * live on one primary, as the rest of Ratchet's Redis use does.
 *
 * The store owns the client: `close` quits it.
 */
export class RedisTokenBuckets implements TokenBuckets {
  private readonly redis: Redis & BucketCommands;

  /** `client`: a connected client, or a URL to connect to. `prefix` default `ratchet:`. */
  constructor(
    client: Redis | string,
    private readonly prefix = 'ratchet:',
  ) {
    const redis = typeof client === 'string' ? new Redis(client, redisClientOptions('ratchet-buckets')) : client;
    redis.defineCommand('ratchetTakeTokens', { lua: TAKE_LUA });
    this.redis = redis as Redis & BucketCommands;
  }

  async take(takes: readonly BucketTake[]): Promise<BucketAnswer[]> {
    if (takes.length === 0) return [];
    const keys = takes.map((t) => `${this.prefix}bucket:${t.key}`);
    const args = takes.flatMap((t) => [t.ratePerSecond / 1_000, t.burst, Math.round(t.expiresAt)]);
    let reply: number[];
    try {
      reply = await this.redis.ratchetTakeTokens(keys.length, ...keys, ...args);
    } catch (err) {
      throw redisError('taking rate-limit tokens', err);
    }
    return takes.map((_, i) => ({ allowed: reply[2 * i] === 1, retryAfterMs: Number(reply[2 * i + 1] ?? 0) }));
  }

  async close(): Promise<void> {
    await closeRedisClient(this.redis);
  }
}
