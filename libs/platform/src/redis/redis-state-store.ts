import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import type { StateOp, StateResult, StateStore } from '@ratchet/detection';
import { stateKey, windowRetentionMs } from '@ratchet/detection';
import { closeRedisClient, redisClientOptions } from './redis-client';
import { redisError } from './redis-errors';

/**
 * Entity state in Redis, one pipeline per `execute`. Windows are sorted sets scored by event
 * time with the event id (or distinct value) as member: `ZADD NX` keeps a redelivered event at
 * its first time, `ZADD GT` moves a distinct value to the latest time it was seen. Members older
 * than the window's retention behind the op's time are trimmed, and an idle key expires after
 * the retention (wall time). Records are hashes that expire `retainMs` after their last write;
 * counters are a hash of counts beside a sorted set `<key>:at` of each field's latest event time.
 *
 * The store owns the client: `close` quits it.
 */
/**
 * One window operation, atomically: add the member (NX: first time stays; GT: latest time wins),
 * find the newest member, trim what is older than the retention behind it, refresh the key's
 * expiry and count the window that ends at the newest member. An empty member only counts.
 * KEYS[1] key; ARGV at, member, windowMs, retentionMs, mode.
 */
const WINDOW_SCRIPT = script(`
local key = KEYS[1]
local at = tonumber(ARGV[1])
local window = tonumber(ARGV[3])
local retention = tonumber(ARGV[4])
local peek = ARGV[2] == ''
if not peek then redis.call('ZADD', key, ARGV[5], at, ARGV[2]) end
local newest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
local last = at
if newest[2] and tonumber(newest[2]) > last then last = tonumber(newest[2]) end
if not peek then
  redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. string.format('%.0f', last - retention))
  redis.call('PEXPIRE', key, retention)
end
return redis.call('ZCOUNT', key, string.format('%.0f', last - window), string.format('%.0f', last))
`);

interface LuaScript {
  source: string;
  sha: string;
}

function script(source: string): LuaScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * One set operation, atomically: note whether the member is there and the size, add it at the later
 * of its times, drop the least recently seen beyond the cap, refresh the key's expiry.
 * KEYS[1] key; ARGV at, member, maxMembers, retainMs. Answers {known (0/1), size before}.
 */
const SET_ADD_SCRIPT = script(`
local key = KEYS[1]
local known = redis.call('ZSCORE', key, ARGV[2]) and 1 or 0
local size = redis.call('ZCARD', key)
redis.call('ZADD', key, 'GT', ARGV[1], ARGV[2])
local excess = redis.call('ZCARD', key) - tonumber(ARGV[3])
if excess > 0 then redis.call('ZREMRANGEBYRANK', key, 0, excess - 1) end
redis.call('PEXPIRE', key, ARGV[4])
return {known, size}
`);

/**
 * One counter operation, atomically: add one to each field of the hash, note each field's latest
 * event time in the companion sorted set, forget the least recently counted fields beyond the cap
 * (from both), refresh both keys' expiry. KEYS[1] the hash, KEYS[2] the sorted set; ARGV at,
 * maxFields, retainMs, then the fields. Answers the new values, in order.
 */
const COUNTER_ADD_SCRIPT = script(`
local counts = KEYS[1]
local recency = KEYS[2]
local answer = {}
for i = 4, #ARGV do
  answer[#answer + 1] = redis.call('HINCRBY', counts, ARGV[i], 1)
  redis.call('ZADD', recency, 'GT', ARGV[1], ARGV[i])
end
local excess = redis.call('ZCARD', recency) - tonumber(ARGV[2])
if excess > 0 then
  local forgotten = redis.call('ZRANGE', recency, 0, excess - 1)
  redis.call('ZREMRANGEBYRANK', recency, 0, excess - 1)
  redis.call('HDEL', counts, unpack(forgotten))
end
redis.call('PEXPIRE', counts, ARGV[3])
redis.call('PEXPIRE', recency, ARGV[3])
return answer
`);

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
      const key = this.keyPrefix + stateKey(op);
      switch (op.kind) {
        case 'window.count':
        case 'window.distinct': {
          const mode = op.kind === 'window.count' ? 'NX' : 'GT';
          pipeline.evalsha(WINDOW_SCRIPT.sha, 1, key, op.at, op.member ?? '', op.windowMs, windowRetentionMs(op.windowMs), mode);
          answers.push(queued);
          queued += 1;
          break;
        }
        case 'record.merge': {
          if (op.answer === 'before') {
            pipeline.hgetall(key);
            answers.push(queued);
            queued++;
          }
          if (Object.keys(op.fields).length > 0) {
            pipeline.hset(key, op.fields);
            queued++;
          }
          pipeline.pexpire(key, op.retainMs);
          queued++;
          if (op.answer !== 'before') {
            pipeline.hgetall(key);
            answers.push(queued);
            queued++;
          }
          break;
        }
        case 'set.add': {
          pipeline.evalsha(SET_ADD_SCRIPT.sha, 1, key, op.at, op.member, op.maxMembers, op.retainMs);
          answers.push(queued);
          queued++;
          break;
        }
        case 'record.read': {
          pipeline.hgetall(key);
          answers.push(queued);
          queued += 1;
          break;
        }
        case 'counter.add': {
          pipeline.evalsha(COUNTER_ADD_SCRIPT.sha, 2, key, `${key}:at`, op.at, op.maxFields, op.retainMs, ...op.fields);
          answers.push(queued);
          queued++;
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
      switch (op.kind) {
        case 'record.merge':
        case 'record.read':
          return reply as Record<string, string>;
        case 'set.add': {
          const [known, size] = reply as [number, number];
          return { known: known === 1, size: Number(size) };
        }
        case 'counter.add':
          return (reply as unknown[]).map(Number);
        default:
          return Number(reply);
      }
    });
  }

  private scriptLoaded = false;

  /** Loads the scripts once per client (and again after a server restart: NOSCRIPT). */
  private async loadScript(): Promise<void> {
    if (this.scriptLoaded) return;
    await Promise.all([WINDOW_SCRIPT, SET_ADD_SCRIPT, COUNTER_ADD_SCRIPT].map((s) => this.redis.script('LOAD', s.source)));
    this.scriptLoaded = true;
  }

  async close(): Promise<void> {
    await closeRedisClient(this.redis);
  }
}
