import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import type { StateOp, StateResult, StateStore } from '@ratchet/detection';
import { windowRetentionMs } from '@ratchet/detection';
import { closeRedisClient, redisClientOptions } from './redis-client';
import { redisError } from './redis-errors';

/**
 * Entity state in Redis, one pipeline per `execute`. Windows are sorted sets scored by event
 * time with the event id (or distinct value) as member: `ZADD NX` keeps a redelivered event at
 * its first time, `ZADD GT` moves a distinct value to the latest time it was seen. Members older
 * than the window's retention behind the op's time are trimmed, and an idle key expires after
 * the retention (wall time). Records are hashes that expire `retainMs` after their last write.
 *
 * The store owns the client: `close` quits it.
 */
/**
 * One window operation, atomically: add the member (NX: first time stays; GT: latest time wins),
 * find the newest member, trim what is older than the retention behind it, refresh the key's
 * expiry and count the window that ends at the newest member.
 * KEYS[1] key; ARGV at, member, windowMs, retentionMs, mode.
 */
const WINDOW_SCRIPT = (() => {
  const source = `
local key = KEYS[1]
local at = tonumber(ARGV[1])
local window = tonumber(ARGV[3])
local retention = tonumber(ARGV[4])
redis.call('ZADD', key, ARGV[5], at, ARGV[2])
local newest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
local last = at
if newest[2] and tonumber(newest[2]) > last then last = tonumber(newest[2]) end
redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. string.format('%.0f', last - retention))
redis.call('PEXPIRE', key, retention)
return redis.call('ZCOUNT', key, string.format('%.0f', last - window), string.format('%.0f', last))
`;
  return { source, sha: createHash('sha1').update(source).digest('hex') };
})();

export class RedisStateStore implements StateStore {
  private readonly redis: Redis;

  /** `client`: a connected client, or a URL to connect to. `keyPrefix` default `ratchet:state:`. */
  constructor(
    client: Redis | string,
    private readonly keyPrefix = 'ratchet:state:',
  ) {
    this.redis = typeof client === 'string' ? new Redis(client, redisClientOptions('ratchet-state')) : client;
  }

  async execute(ops: readonly StateOp[]): Promise<StateResult[]> {
    if (ops.length === 0) return [];
    const pipeline = this.redis.pipeline();
    /** Index, in the pipeline's replies, of each op's answer. */
    const answers: number[] = [];
    let queued = 0;
    for (const op of ops) {
      const key = this.keyPrefix + op.key;
      switch (op.kind) {
        case 'window.count':
        case 'window.distinct': {
          const mode = op.kind === 'window.count' ? 'NX' : 'GT';
          pipeline.evalsha(WINDOW_SCRIPT.sha, 1, key, op.at, op.member, op.windowMs, windowRetentionMs(op.windowMs), mode);
          answers.push(queued);
          queued += 1;
          break;
        }
        case 'record.merge': {
          if (Object.keys(op.fields).length > 0) {
            pipeline.hset(key, op.fields);
            queued++;
          }
          pipeline.pexpire(key, op.retainMs);
          pipeline.hgetall(key);
          answers.push(queued + 1);
          queued += 2;
          break;
        }
        case 'record.read': {
          pipeline.hgetall(key);
          answers.push(queued);
          queued += 1;
          break;
        }
      }
    }
    let replies: Array<[Error | null, unknown]> | null;
    try {
      await this.loadScript();
      replies = await pipeline.exec();
    } catch (err) {
      throw redisError('executing state operations', err);
    }
    if (!replies) throw redisError('executing state operations', new Error('pipeline was discarded'));
    const failed = replies.find(([err]) => err !== null);
    if (failed) {
      if (String(failed[0]?.message).startsWith('NOSCRIPT')) this.scriptLoaded = false;
      throw redisError('executing state operations', failed[0]);
    }
    return ops.map((op, i) => {
      const reply = replies[answers[i] as number]?.[1];
      return op.kind === 'record.merge' || op.kind === 'record.read' ? (reply as Record<string, string>) : Number(reply);
    });
  }

  private scriptLoaded = false;

  /** Loads the window script once per client (and again after a server restart: NOSCRIPT). */
  private async loadScript(): Promise<void> {
    if (this.scriptLoaded) return;
    await this.redis.script('LOAD', WINDOW_SCRIPT.source);
    this.scriptLoaded = true;
  }

  async close(): Promise<void> {
    await closeRedisClient(this.redis);
  }
}
