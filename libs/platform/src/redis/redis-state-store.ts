import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import type { StateOp, StateResult, StateStore } from '@ratchet/detection';
import { stateKey, windowRetentionMs } from '@ratchet/detection';
import { closeRedisClient, redisClientOptions } from './redis-client';
import { redisError } from './redis-errors';

/** Operations per script call: a few milliseconds of Redis time, so other clients never wait long. */
const CHUNK_OPS = 256;

/**
 * Runs a chunk of operations, in order. Per operation, ARGV holds its code and arguments, KEYS its
 * key(s):
 * - `w` window (count or distinct): key; at, member, windowMs, retentionMs, mode (NX|GT). Adds the
 *   member, finds the newest, trims what is older than the retention behind it, refreshes the
 *   expiry and answers the count of the window ending at the newest. An empty member only counts.
 * - `m` record merge: key; before (1|0), retainMs, n, then n field/value pairs. Answers the hash
 *   (flat) as it was before or as it is after the merge.
 * - `r` record read: key. Answers the hash (flat).
 * - `s` set add: key; at, member, maxMembers, retainMs. Answers {known (0/1), size before}; adds
 *   the member at the later of its times and drops the least recently seen beyond the cap.
 * - `c` counter add: the hash and its `:at` sorted set; at, maxFields, retainMs, n, then n fields.
 *   Answers the fields' new values; forgets the least recently counted beyond the cap from both.
 * Expiries are refreshed once per key at the end of the call, with the retention the last
 * operation on the key gave: the same expiry as refreshing after each write (the call is atomic,
 * and lasts milliseconds), with one command per key instead of one per operation.
 */
const BATCH_SCRIPT = script(`
local out = {}
local k, a = 1, 1
-- Key -> retention: refreshed once per key at the end, as the last operation on it asked.
local expiry = {}
local function fmt(n) return string.format('%.0f', n) end
while a <= #ARGV do
  local kind, key = ARGV[a], KEYS[k]
  if kind == 'w' then
    local at, member = tonumber(ARGV[a + 1]), ARGV[a + 2]
    local window, retention = tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4])
    local peek = member == ''
    if not peek then redis.call('ZADD', key, ARGV[a + 5], ARGV[a + 1], member) end
    local newest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
    local last = at
    if newest[2] and tonumber(newest[2]) > last then last = tonumber(newest[2]) end
    if not peek then
      redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. fmt(last - retention))
      expiry[key] = ARGV[a + 4]
    end
    out[#out + 1] = redis.call('ZCOUNT', key, fmt(last - window), fmt(last))
    k, a = k + 1, a + 6
  elseif kind == 'm' then
    local before, n = ARGV[a + 1] == '1', tonumber(ARGV[a + 3])
    local answer
    if before then answer = redis.call('HGETALL', key) end
    if n > 0 then redis.call('HSET', key, unpack(ARGV, a + 4, a + 3 + 2 * n)) end
    expiry[key] = ARGV[a + 2]
    if not before then answer = redis.call('HGETALL', key) end
    out[#out + 1] = answer
    k, a = k + 1, a + 4 + 2 * n
  elseif kind == 'r' then
    out[#out + 1] = redis.call('HGETALL', key)
    k, a = k + 1, a + 1
  elseif kind == 's' then
    local member = ARGV[a + 2]
    local known = redis.call('ZSCORE', key, member) and 1 or 0
    local size = redis.call('ZCARD', key)
    redis.call('ZADD', key, 'GT', ARGV[a + 1], member)
    -- A member not there before was added (GT only holds back existing members' times).
    local excess = size + 1 - known - tonumber(ARGV[a + 3])
    if excess > 0 then redis.call('ZREMRANGEBYRANK', key, 0, excess - 1) end
    expiry[key] = ARGV[a + 4]
    out[#out + 1] = {known, size}
    k, a = k + 1, a + 5
  elseif kind == 'c' then
    local recency, n = KEYS[k + 1], tonumber(ARGV[a + 4])
    local answer, times = {}, {}
    for i = a + 5, a + 4 + n do
      answer[#answer + 1] = redis.call('HINCRBY', key, ARGV[i], 1)
      times[#times + 1] = ARGV[a + 1]
      times[#times + 1] = ARGV[i]
    end
    if n > 0 then redis.call('ZADD', recency, 'GT', unpack(times)) end
    local excess = redis.call('ZCARD', recency) - tonumber(ARGV[a + 2])
    if excess > 0 then
      local forgotten = redis.call('ZRANGE', recency, 0, excess - 1)
      redis.call('ZREMRANGEBYRANK', recency, 0, excess - 1)
      redis.call('HDEL', key, unpack(forgotten))
    end
    expiry[key] = ARGV[a + 3]
    expiry[recency] = ARGV[a + 3]
    out[#out + 1] = answer
    k, a = k + 2, a + 5 + n
  else
    return redis.error_reply('unknown state operation code ' .. tostring(kind) .. ' at ARGV[' .. a .. ']')
  end
end
for key, ms in pairs(expiry) do redis.call('PEXPIRE', key, ms) end
return out
`);

interface LuaScript {
  source: string;
  sha: string;
}

function script(source: string): LuaScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * Entity state in Redis. Windows are sorted sets scored by event time with the event id (or
 * distinct value) as member: `ZADD NX` keeps a redelivered event at its first time, `ZADD GT`
 * moves a distinct value to the latest time it was seen. Members older than the window's
 * retention behind the newest are trimmed, and an idle key expires after the retention (wall
 * time). Records are hashes that expire `retainMs` after their last write; counters are a hash of
 * counts beside a sorted set `<key>:at` of each field's latest event time.
 *
 * Every operation runs inside one Lua script, BATCH_SCRIPT, which takes a whole chunk of
 * operations (keys in KEYS, arguments flat in ARGV) and answers one reply per operation. A
 * script call per operation cost Redis its per-call set-up (and the client a command object and
 * a promise) six times per event under the full catalogue, which capped the services shape near
 * 2,000 events/s; a chunk amortises both. Each operation stays atomic (the whole chunk is), and
 * chunks are kept to CHUNK_OPS so one call never blocks Redis for long.
 *
 * The store owns the client: `close` quits it.
 */
export class RedisStateStore implements StateStore {
  private readonly redis: Redis;
  private scriptLoaded = false;

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
    for (let from = 0; from < ops.length; from += CHUNK_OPS) {
      const { keys, args } = this.encode(ops, from, Math.min(from + CHUNK_OPS, ops.length));
      pipeline.evalsha(BATCH_SCRIPT.sha, keys.length, ...keys, ...args);
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
    const results: StateResult[] = new Array<StateResult>(ops.length);
    for (let chunk = 0; chunk < replies.length; chunk++) {
      const answers = replies[chunk]?.[1] as readonly unknown[];
      const from = chunk * CHUNK_OPS;
      for (let i = 0; i < answers.length; i++) results[from + i] = decodeResult(ops[from + i] as StateOp, answers[i]);
    }
    return results;
  }

  /** KEYS and ARGV of BATCH_SCRIPT for `ops[from..to)`. */
  private encode(ops: readonly StateOp[], from: number, to: number): { keys: Array<string | number>; args: Array<string | number> } {
    const keys: Array<string | number> = [];
    const args: Array<string | number> = [];
    for (let i = from; i < to; i++) {
      const op = ops[i] as StateOp;
      const key = this.keyPrefix + stateKey(op);
      keys.push(key);
      switch (op.kind) {
        case 'window.count':
        case 'window.distinct':
          args.push('w', op.at, op.member ?? '', op.windowMs, windowRetentionMs(op.windowMs), op.kind === 'window.count' ? 'NX' : 'GT');
          break;
        case 'record.merge': {
          const fields = Object.entries(op.fields);
          args.push('m', op.answer === 'before' ? 1 : 0, op.retainMs, fields.length);
          for (const [field, value] of fields) args.push(field, value);
          break;
        }
        case 'record.read':
          args.push('r');
          break;
        case 'set.add':
          args.push('s', op.at, op.member, op.maxMembers, op.retainMs);
          break;
        case 'counter.add':
          keys.push(`${key}:at`);
          args.push('c', op.at, op.maxFields, op.retainMs, op.fields.length);
          for (const field of op.fields) args.push(field);
          break;
      }
    }
    return { keys, args };
  }

  /** Loads the script once per client (and again after a server restart: NOSCRIPT). */
  private async loadScript(): Promise<void> {
    if (this.scriptLoaded) return;
    await this.redis.script('LOAD', BATCH_SCRIPT.source);
    this.scriptLoaded = true;
  }

  async close(): Promise<void> {
    await closeRedisClient(this.redis);
  }
}

function decodeResult(op: StateOp, reply: unknown): StateResult {
  switch (op.kind) {
    case 'record.merge':
    case 'record.read':
      return hashOf(reply as readonly string[]);
    case 'set.add': {
      const [known, size] = reply as [number, number];
      return { known: known === 1, size: Number(size) };
    }
    case 'counter.add':
      return (reply as unknown[]).map(Number);
    default:
      return Number(reply);
  }
}

/** HGETALL's flat [field, value, …] reply, as Lua hands it back, as a record. */
function hashOf(flat: readonly string[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) record[flat[i] as string] = flat[i + 1] as string;
  return record;
}
