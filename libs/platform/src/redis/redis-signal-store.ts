import { Redis } from 'ioredis';
import type { RiskSignal } from '@ratchet/contracts';
import { DEFAULT_SIGNAL_RETENTION, matchesSignalQuery, type SignalPage, type SignalQuery, type SignalRetention, type SignalStore } from '@ratchet/risk';
import { closeRedisClient, redisClientOptions } from './redis-client';
import { redisError } from './redis-errors';

/**
 * Appends signals and trims to the retention, atomically. A signal already kept is skipped; each
 * new one goes into the global set, the data hash and its entity's set, whose oldest beyond the
 * per-entity cap are forgotten; then what is older than the age limit behind the newest, then the
 * oldest beyond the total. Forgetting removes a signal from all three.
 * Entity sets are addressed by ARGV (prefix + entity), so the script expects one Redis primary,
 * not a cluster — as the rest of Ratchet's Redis use does.
 * KEYS: global set, data hash. ARGV: entity key prefix, total, perEntity, maxAgeMs, then (id, at, entity, json)…
 */
const APPEND_LUA = `
local global, data, prefix = KEYS[1], KEYS[2], ARGV[1]
local total, perEntity, maxAge = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local function forget(id, entity)
  redis.call('ZREM', global, id)
  redis.call('HDEL', data, id)
  if entity then redis.call('ZREM', prefix .. entity, id) end
end
local function forgetAll(ids)
  for _, id in ipairs(ids) do
    local json = redis.call('HGET', data, id)
    forget(id, json and cjson.decode(json).entity)
  end
end
for i = 5, #ARGV, 4 do
  local id, entity = ARGV[i], ARGV[i + 2]
  if not redis.call('ZSCORE', global, id) then
    local own = prefix .. entity
    redis.call('ZADD', global, ARGV[i + 1], id)
    redis.call('HSET', data, id, ARGV[i + 3])
    redis.call('ZADD', own, ARGV[i + 1], id)
    local over = redis.call('ZCARD', own) - perEntity
    if over > 0 then
      for _, old in ipairs(redis.call('ZRANGE', own, 0, over - 1)) do forget(old, entity) end
    end
  end
end
local newest = redis.call('ZRANGE', global, -1, -1, 'WITHSCORES')
if newest[2] then
  forgetAll(redis.call('ZRANGEBYSCORE', global, '-inf', '(' .. string.format('%.0f', tonumber(newest[2]) - maxAge)))
end
local over = redis.call('ZCARD', global) - total
if over > 0 then forgetAll(redis.call('ZRANGE', global, 0, over - 1)) end
return 0
`;

interface SignalCommands {
  ratchetAppendSignals(global: string, data: string, ...args: Array<string | number>): Promise<number>;
}

/**
 * Recent signals in Redis: a sorted set of every kept signal's id by event time
 * (`<prefix>signals`), one per entity (`<prefix>signals:entity:<entity>`), and a hash of id →
 * signal JSON (`<prefix>signals:data`). Bounded by `SignalRetention`, never by key expiry, so the
 * three stay consistent: a signal is in all of them or in none.
 *
 * The store owns the client: `close` quits it.
 */
export class RedisSignalStore implements SignalStore {
  private readonly redis: Redis & SignalCommands;
  private readonly global: string;
  private readonly data: string;
  private readonly entityPrefix: string;

  /** `client`: a connected client, or a URL to connect to. `prefix` default `ratchet:`. */
  constructor(
    client: Redis | string,
    prefix = 'ratchet:',
    private readonly retention: SignalRetention = DEFAULT_SIGNAL_RETENTION,
  ) {
    const redis = typeof client === 'string' ? new Redis(client, redisClientOptions('ratchet-signals')) : client;
    redis.defineCommand('ratchetAppendSignals', { numberOfKeys: 2, lua: APPEND_LUA });
    this.redis = redis as Redis & SignalCommands;
    this.global = `${prefix}signals`;
    this.data = `${prefix}signals:data`;
    this.entityPrefix = `${prefix}signals:entity:`;
  }

  async append(signals: readonly RiskSignal[]): Promise<void> {
    if (signals.length === 0) return;
    const { total, perEntity, maxAgeMs } = this.retention;
    const args = signals.flatMap((s) => [s.id, s.at, s.entity, JSON.stringify(s)]);
    try {
      await this.redis.ratchetAppendSignals(this.global, this.data, this.entityPrefix, total, perEntity, maxAgeMs, ...args);
    } catch (err) {
      throw redisError('storing signals', err);
    }
  }

  /**
   * Reads ids newest first in chunks (signals at the `after` position's time first, since a score
   * range cannot start inside a tie), then their JSON, and filters until `limit + 1` match.
   */
  async query(query: SignalQuery): Promise<SignalPage> {
    const key = query.entity === undefined ? this.global : this.entityPrefix + query.entity;
    const min = query.since === undefined ? '-inf' : String(query.since);
    const found: RiskSignal[] = [];
    const want = query.limit + 1;
    try {
      let max = query.until === undefined ? '+inf' : `(${query.until}`;
      if (query.after !== undefined && (query.until === undefined || query.after.at < query.until)) {
        const tied = await this.redis.zrevrangebyscore(key, query.after.at, query.after.at);
        await this.collect(tied, query, found, want);
        max = `(${query.after.at}`;
      }
      const chunk = Math.min(1_000, Math.max(64, want * 2));
      for (let offset = 0; found.length < want; offset += chunk) {
        const ids = await this.redis.zrevrangebyscore(key, max, min, 'LIMIT', offset, chunk);
        await this.collect(ids, query, found, want);
        if (ids.length < chunk) break;
      }
    } catch (err) {
      throw redisError('reading signals', err);
    }
    if (found.length <= query.limit) return { signals: found };
    const page = found.slice(0, query.limit);
    const last = page[page.length - 1] as RiskSignal;
    return { signals: page, next: { at: last.at, id: last.id } };
  }

  async close(): Promise<void> {
    await closeRedisClient(this.redis);
  }

  /** Adds the matching signals among `ids` (newest first) to `found`, up to `want`. */
  private async collect(ids: readonly string[], query: SignalQuery, found: RiskSignal[], want: number): Promise<void> {
    if (ids.length === 0 || found.length >= want) return;
    const jsons = await this.redis.hmget(this.data, ...ids);
    for (const json of jsons) {
      // Null: forgotten between the two reads.
      const signal = json === null ? undefined : (JSON.parse(json) as RiskSignal);
      if (signal && matchesSignalQuery(signal, query)) found.push(signal);
      if (found.length >= want) return;
    }
  }
}
