import { Redis } from 'ioredis';
import type { EnforcementAction } from '@ratchet/contracts';
import type { DecisionStore, UnreadableDecision } from '@ratchet/chains';
import { AppError } from '@ratchet/kernel';
import { closeRedisClient, redisClientOptions } from './redis-client';
import { redisError } from './redis-errors';

/**
 * Stores each action unless the stored one with its id expires later (a reverted one always
 * replaces it), and announces every stored one on the changes channel, in one atomic step.
 * KEYS: hash, channel. ARGV: (id, json, expiresAt, reverted 1|0)…
 */
const PUT_LUA = `
local stored = 0
for i = 1, #ARGV, 4 do
  local current = redis.call('HGET', KEYS[1], ARGV[i])
  if not current or ARGV[i + 3] == '1' or tonumber(cjson.decode(current).expiresAt) <= tonumber(ARGV[i + 2]) then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
    redis.call('PUBLISH', KEYS[2], ARGV[i + 1])
    stored = stored + 1
  end
end
return stored
`;

/**
 * Deletes the given decisions that are still expired at ARGV[1], so a decision put again since
 * it was read is kept. KEYS: hash. ARGV: now, id…
 */
const PRUNE_LUA = `
local removed = 0
for i = 2, #ARGV do
  local current = redis.call('HGET', KEYS[1], ARGV[i])
  if current and tonumber(cjson.decode(current).expiresAt) <= tonumber(ARGV[1]) then
    redis.call('HDEL', KEYS[1], ARGV[i])
    removed = removed + 1
  end
end
return removed
`;

interface DecisionCommands {
  ratchetPutDecisions(hash: string, channel: string, ...args: string[]): Promise<number>;
  ratchetPruneDecisions(hash: string, ...args: string[]): Promise<number>;
}

/**
 * Decisions shared by every enforcer replica: a hash `<prefix>decisions` (action id → JSON) that
 * outlives any process, and a pub/sub channel `<prefix>decisions:changes` on which every stored
 * decision is published. Each `watch` listens on its own connection (a subscribed connection
 * can run no other command).
 *
 * The store owns the client: `close` quits it and every watcher's connection.
 */
export class RedisDecisionStore implements DecisionStore {
  private readonly redis: Redis & DecisionCommands;
  private readonly hash: string;
  private readonly channel: string;
  private readonly watchers = new Set<Redis>();

  /** `client`: a connected client, or a URL to connect to. `prefix` default `ratchet:`. */
  constructor(client: Redis | string, prefix = 'ratchet:') {
    const redis = typeof client === 'string' ? new Redis(client, redisClientOptions('ratchet-decisions')) : client;
    redis.defineCommand('ratchetPutDecisions', { numberOfKeys: 2, lua: PUT_LUA });
    redis.defineCommand('ratchetPruneDecisions', { numberOfKeys: 1, lua: PRUNE_LUA });
    this.redis = redis as Redis & DecisionCommands;
    this.hash = `${prefix}decisions`;
    this.channel = `${prefix}decisions:changes`;
  }

  async put(actions: readonly EnforcementAction[]): Promise<void> {
    if (actions.length === 0) return;
    const args = actions.flatMap((a) => [a.id, JSON.stringify(a), String(a.expiresAt), a.state === 'reverted' ? '1' : '0']);
    try {
      await this.redis.ratchetPutDecisions(this.hash, this.channel, ...args);
    } catch (err) {
      throw redisError('storing decisions', err);
    }
  }

  /** Decisions unexpired at `now`; the expired ones are deleted on the way, the unreadable ones kept as they are for an operator to look at. */
  async active(now: number, unreadable?: (record: UnreadableDecision) => void): Promise<EnforcementAction[]> {
    let stored: Record<string, string>;
    try {
      stored = await this.redis.hgetall(this.hash);
    } catch (err) {
      throw redisError('reading decisions', err);
    }
    const active: EnforcementAction[] = [];
    const expired: string[] = [];
    for (const [id, json] of Object.entries(stored)) {
      const read = readDecision(json);
      if (read.action === undefined) {
        if (unreadable === undefined) throw new AppError('PLATFORM.REDIS_INVALID_DECISION', `decision ${id} in ${this.hash} is not an enforcement action: ${read.problem}`);
        // The hash field is the record's id, whatever the record says.
        unreadable({ id, problem: read.problem });
      } else if (read.action.expiresAt > now) active.push(read.action);
      else expired.push(id);
    }
    if (expired.length > 0) {
      try {
        await this.redis.ratchetPruneDecisions(this.hash, String(now), ...expired);
      } catch (err) {
        throw redisError('deleting expired decisions', err);
      }
    }
    return active;
  }

  /**
   * Listens on a connection of its own. ioredis resubscribes after a reconnect, but decisions
   * published while disconnected are not replayed: watchers reconcile with `active`.
   */
  async watch(listener: (action: EnforcementAction) => void, unreadable?: (record: UnreadableDecision) => void): Promise<{ close(): Promise<void> }> {
    const subscriber = this.redis.duplicate({ connectionName: `${this.redis.options.connectionName ?? 'ratchet-decisions'}-watch` });
    this.watchers.add(subscriber);
    const close = async (): Promise<void> => {
      this.watchers.delete(subscriber);
      await closeRedisClient(subscriber);
    };
    subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      const read = readDecision(message);
      if (read.action === undefined) unreadable?.(read);
      else listener(read.action);
    });
    try {
      await subscriber.subscribe(this.channel);
    } catch (err) {
      await close();
      throw redisError('subscribing to decision changes', err);
    }
    return { close };
  }

  async close(): Promise<void> {
    await Promise.all([...this.watchers].map((w) => closeRedisClient(w)));
    this.watchers.clear();
    await closeRedisClient(this.redis);
  }
}

/**
 * The decision a stored record holds, or what is wrong with it (and its id, when it names one).
 * Only what every replica needs to keep a decision (its id and expiry) is required: a record from
 * a newer version with fields or action kinds this one does not know is still kept and expired on
 * time.
 */
function readDecision(json: string): { action: EnforcementAction } | (UnreadableDecision & { action?: undefined }) {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return { id: undefined, problem: 'not JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { id: undefined, problem: 'not a JSON object' };
  const candidate = parsed as Partial<EnforcementAction>;
  if (typeof candidate.id !== 'string') return { id: undefined, problem: 'no string id' };
  if (typeof candidate.expiresAt !== 'number') return { id: candidate.id, problem: 'no numeric expiresAt' };
  return { action: candidate as EnforcementAction };
}
