import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import type { StateOp, StateResult, StateStore } from '@ratchet/detection';
import { stateKey, windowRetentionMs } from '@ratchet/detection';
import { closeRedisClient, redisClientOptions } from './redis-client';
import { redisError } from './redis-errors';

/**
 * Where a counter's recency set lives, before its state key: no state key starts with `@`, so the
 * set never shares a name with state (see RedisStateStore).
 */
const RECENCY = '@at:';

/** Operations per script call: a few milliseconds of Redis time, so other clients never wait long. */
const CHUNK_OPS = 256;

/**
 * Runs a chunk of operations, in order. Per operation, ARGV holds its code and arguments, KEYS its
 * key(s):
 * - `w` window (count or distinct): key; at, member, windowMs, retentionMs, mode (NX|GT), and
 *   at − windowMs (where the window starts when it ends at `at`, as it mostly does: a number Lua
 *   need not format). Adds the member, finds the newest, trims what is older than the retention
 *   behind it, refreshes the expiry and answers the count of the window ending at the newest
 *   (nothing lies past the newest, so the count runs to +inf). An empty member only counts.
 * - `m` record merge: key; before (1|0), retainMs, n, then n field/value pairs. Answers the hash
 *   (flat) as it was before or as it is after the merge.
 * - `r` record read: key. Answers the hash (flat).
 * - `s` set add: key; at, member, maxMembers, retainMs. Answers {known (0/1), size before}; adds
 *   the member at the later of its times and drops the least recently seen beyond the cap.
 * - `c` counter add: the hash and its recency sorted set; at, maxFields, retainMs, last (1 when no
 *   later operation in the chunk counts this counter), n, then n fields. Answers the fields' new
 *   values; forgets the least recently counted beyond the cap from both (checked when a field is
 *   new: only a new field grows the table).
 *
 * A chunk touches some keys many times (a login target's windows, the population's counters), so
 * the script keeps what it learnt about a key for the rest of the call and writes once per key at
 * the end what no answer inside the call depends on. Each shortcut leaves every answer and the
 * final state as running the operations one by one would:
 * - Expiries are refreshed once per key, with the retention the last operation on it gave (the
 *   call is atomic and lasts milliseconds).
 * - A window remembers its newest time: ZADD moves it only to the added time (NX: when the member
 *   was new; GT: always to the later of the two), so ZRANGE runs once per key and call.
 * - A window is trimmed once, at the end, to the latest cutoff an operation asked for: cutoffs
 *   grow with the newest time, so the last one removes what each would have, and what lies before
 *   it lies outside every later operation's window (retention is twice the window), so no count
 *   sees the difference. The key is trimmed at once instead when that does not hold: a window
 *   reaching back past the pending cutoff, a lower cutoff than the pending one (two windows on
 *   one key), a member added before the pending cutoff (a longer window's retention may keep it,
 *   and then it must not go with what one by one had trimmed already), a redelivered member (which one by one might have trimmed before it came back), or a
 *   known member re-added past the newest (NX keeps its old time; an event id always comes with its
 *   own time, so only a hand-made batch does this), which may drop the newest, so the newest is
 *   read again.
 * - A counter reads each field once per call (HMGET), counts in the script and writes every changed
 *   field with one HSET at its last count in the chunk (`last`: the caller knows which), when the
 *   recency set gets one ZADD GT of each field's latest time and both keys their expiry. Before
 *   anything is forgotten the pending times are written, so the least recently counted are chosen
 *   from the same set as one by one. The count of fields is tracked (a field absent from the hash
 *   is new to both), so ZCARD runs once per key and call, at its first new field, unless the cap is
 *   crossed. A counter counted once (a user's table) is so written at once and never kept: HMGET,
 *   ZCARD if a field is new, HSET, ZADD and its two expiries, as many commands as counting it alone.
 */
const BATCH_SCRIPT = script(`
local out = {}
local k, a = 1, 1
-- Key -> retention: refreshed once per key at the end, as the last operation on it asked.
local expiry = {}
-- Window key -> newest score, and -> the cutoff to trim to at the end.
local newest, cutoff = {}, {}
-- Counter key -> {rec = recency key, size (once a field is new), vals = {field -> count, every one counted in
-- this call}, times = {field -> latest at}, timeArgs = {field -> that at as given}}, until its last count.
local counters = {}
-- Every digit a double has: '%.0f' rounded a time with a fraction of a millisecond, and a window
-- start rounded past a member at it.
local function fmt(n) return string.format('%.17g', n) end
local function trimNow(key)
  if cutoff[key] then redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. fmt(cutoff[key])) end
  cutoff[key] = nil
end
local function flushTimes(c)
  local args, n = {}, 0
  for field in pairs(c.times) do
    args[n + 1], args[n + 2], n = c.timeArgs[field], field, n + 2
  end
  if n > 0 then redis.call('ZADD', c.rec, 'GT', unpack(args)) end
  c.times, c.timeArgs = {}, {}
end
-- Writes what a call counted on a counter, at its last count: every value with one HSET, each field's
-- latest time with one ZADD GT, and both keys' expiry.
local function writeCounter(key, c, retainMs)
  local args, n = {}, 0
  for field, v in pairs(c.vals) do
    args[n + 1], args[n + 2], n = field, v, n + 2
  end
  if n > 0 then redis.call('HSET', key, unpack(args)) end
  flushTimes(c)
  redis.call('PEXPIRE', key, retainMs)
  redis.call('PEXPIRE', c.rec, retainMs)
end
-- Forgets a counter's least recently counted fields beyond the cap, from the hash and its recency
-- set. Answers the fields forgotten and the excess (size minus cap; not positive: nothing to forget).
local function forgetBeyond(key, rec, cap)
  local excess = redis.call('ZCARD', rec) - cap
  if excess <= 0 then return {}, excess end
  local forgotten = redis.call('ZRANGE', rec, 0, excess - 1)
  redis.call('ZREMRANGEBYRANK', rec, 0, excess - 1)
  redis.call('HDEL', key, unpack(forgotten))
  return forgotten, excess
end
while a <= #ARGV do
  local kind, key = ARGV[a], KEYS[k]
  if kind == 'w' then
    local at, member = tonumber(ARGV[a + 1]), ARGV[a + 2]
    local window, retention = tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4])
    local peek = member == ''
    local top = newest[key]
    if top == nil then
      local got = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
      top = got[2] and tonumber(got[2]) or false
    end
    if not peek then
      local mode = ARGV[a + 5]
      -- An event older than the pending cutoff lands where one by one would already have trimmed,
      -- and a longer window's lower cutoff may keep it: trim first, as one by one would.
      if cutoff[key] and at < cutoff[key] then trimNow(key) end
      local added = redis.call('ZADD', key, mode, ARGV[a + 1], member)
      if added == 0 and mode == 'NX' and cutoff[key] then
        -- Known, unless one by one would have trimmed it already: trim, then add again.
        trimNow(key)
        added = redis.call('ZADD', key, mode, ARGV[a + 1], member)
      end
      if (mode == 'GT' or added == 1) and (top == false or at > top) then top = at end
    end
    local last = at
    if top and top > last then last = top end
    if not peek then
      local cut = last - retention
      if top == false or at > top then
        -- A known member re-added past the newest: trim now, as one by one would, and read the newest again.
        trimNow(key)
        redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. fmt(cut))
        top = nil
      else
        -- A lower cutoff than the pending one (another window on the same key) ends the run.
        if cutoff[key] and cut < cutoff[key] then trimNow(key) end
        cutoff[key] = cut
      end
      expiry[key] = ARGV[a + 4]
    end
    -- Untrimmed members lie before the pending cutoff; a window reaching back past it sees them.
    if cutoff[key] and last - window < cutoff[key] then trimNow(key) end
    newest[key] = top
    out[#out + 1] = redis.call('ZCOUNT', key, last == at and ARGV[a + 6] or fmt(last - window), '+inf')
    k, a = k + 1, a + 7
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
    local size = redis.call('ZCARD', key)
    -- ZADD answers how many members it added: GT only holds back existing members' times.
    local known = 1 - redis.call('ZADD', key, 'GT', ARGV[a + 1], ARGV[a + 2])
    local excess = size + 1 - known - tonumber(ARGV[a + 3])
    if excess > 0 then redis.call('ZREMRANGEBYRANK', key, 0, excess - 1) end
    expiry[key] = ARGV[a + 4]
    out[#out + 1] = {known, size}
    k, a = k + 1, a + 5
  elseif kind == 'c' then
    local at, cap, n = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 5])
    local c = counters[key]
    if c == nil then c = {rec = KEYS[k + 1], vals = {}, times = {}, timeArgs = {}} end
    -- Kept only while a later operation in the chunk counts the counter again.
    local last = ARGV[a + 4] == '1'
    if last then counters[key] = nil else counters[key] = c end
    local unknown = {}
    for i = a + 6, a + 5 + n do
      if c.vals[ARGV[i]] == nil then unknown[#unknown + 1] = ARGV[i] end
    end
    if #unknown > 0 then
      local got = redis.call('HMGET', key, unpack(unknown))
      for i, field in ipairs(unknown) do
        -- Listed twice in this operation: read once.
        if c.vals[field] == nil then
          if got[i] then
            c.vals[field] = tonumber(got[i])
          else
            -- The first new field: until now the set held what it held before the call.
            if c.size == nil then c.size = redis.call('ZCARD', c.rec) end
            c.vals[field], c.size = 0, c.size + 1
          end
        end
      end
    end
    local answer = {}
    for i = a + 6, a + 5 + n do
      local field = ARGV[i]
      local v = c.vals[field] + 1
      c.vals[field] = v
      answer[#answer + 1] = v
      local seen = c.times[field]
      if seen == nil or at > seen then c.times[field], c.timeArgs[field] = at, ARGV[a + 1] end
    end
    if c.size and c.size > cap then
      flushTimes(c)
      local forgotten, excess = forgetBeyond(key, c.rec, cap)
      for _, field in ipairs(forgotten) do c.vals[field] = nil end
      c.size = cap + math.min(excess, 0)
    end
    if last then writeCounter(key, c, ARGV[a + 3]) end
    out[#out + 1] = answer
    k, a = k + 2, a + 6 + n
  else
    return redis.error_reply('unknown state operation code ' .. tostring(kind) .. ' at ARGV[' .. a .. ']')
  end
end
for key, cut in pairs(cutoff) do redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. fmt(cut)) end
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
 * counts beside a sorted set `@at:<key>` (under the same prefix) of each field's latest event time.
 * The set is named apart from every `<key>:<of>`: as `<key>:<of>:at` it was the hash of the subject
 * `<of>:at`, and a user named so made every batch with both users fail (WRONGTYPE). Sets written
 * under the old name expire on their own; a field counted before, and not since, stays outside its
 * table's cap until it is counted again.
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
    const names: string[] = [];
    // Counts of each counter the chunk has yet to encode: the script writes a counter at its last.
    const counted = new Map<string, number>();
    for (let i = from; i < to; i++) {
      const op = ops[i] as StateOp;
      const name = stateKey(op);
      names.push(name);
      if (op.kind === 'counter.add') counted.set(name, (counted.get(name) ?? 0) + 1);
    }
    for (let i = from; i < to; i++) {
      const op = ops[i] as StateOp;
      const name = names[i - from] as string;
      keys.push(this.keyPrefix + name);
      switch (op.kind) {
        case 'window.count':
        case 'window.distinct':
          args.push('w', op.at, op.member ?? '', op.windowMs, windowRetentionMs(op.windowMs), op.kind === 'window.count' ? 'NX' : 'GT', op.at - op.windowMs);
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
        case 'counter.add': {
          const left = (counted.get(name) ?? 1) - 1;
          counted.set(name, left);
          keys.push(`${this.keyPrefix}${RECENCY}${name}`);
          args.push('c', op.at, op.maxFields, op.retainMs, left === 0 ? 1 : 0, op.fields.length);
          for (const field of op.fields) args.push(field);
          break;
        }
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
