import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { StateOp } from '@ratchet/detection';
import { seededRandom, testInfra, uniqueName } from '@ratchet/testing';
import { MemoryStateStore } from '../memory/memory-state-store';
import { RedisStateStore } from './redis-state-store';

const { redisUrl } = testInfra();
const MIN = 60_000;
const HOUR = 60 * MIN;

/** Where a traffic's clock starts, and how its times are spaced. */
interface Era {
  name: string;
  t0: number;
  /** Event times carry a fraction of a millisecond (quarters), as from a log with microseconds. */
  fractional: boolean;
}

const ERAS: readonly Era[] = [
  { name: 'epoch milliseconds of today', t0: Date.parse('2026-11-25T08:00:00Z'), fractional: false },
  { name: 'times with a fraction of a millisecond', t0: Date.parse('2026-11-25T08:00:00Z'), fractional: true },
];

/** Subjects, among them the empty one and none at all (state about everyone). */
const SUBJECTS: ReadonlyArray<string | undefined> = ['203.0.113.7', 'alice@example.com', '', undefined];

/**
 * The Redis adapter, with its script's per-call shortcuts (newest time and pending trim kept per
 * key, counters written once at their last count, chunks of 256), against the memory adapter, the
 * reference: random batches of every kind of operation, and the two must answer the same, batch
 * by batch.
 *
 * Where the port leaves the answer open the generator stays out of it:
 * - A set's or a counter table's cap forgets the least recently seen first; which of two members
 *   seen at the same time goes is not defined (Redis takes the lower member, memory the one placed
 *   first), so each set and counter key gets events at distinct times, and a counter operation
 *   names the total `n` and one other field (perhaps twice): `n` is then the newest, and any two
 *   other fields were last counted at different times.
 * - Beyond 16 members the memory table keeps recency in insertion order and may forget a member
 *   seen out of order before Redis would (its doc says so): caps stay below that.
 * - An event id always comes with its event's time, so a redelivery repeats the time too.
 * - Windows and records on one key are of one kind; a key's operations agree on their cap and
 *   retention, as shared operations must.
 */
describe('RedisStateStore against MemoryStateStore', () => {
  const inspector = new Redis(redisUrl);
  const prefixes: string[] = [];
  after(async () => {
    for (const prefix of prefixes) {
      const keys = await inspector.keys(`${prefix}*`);
      if (keys.length > 0) await inspector.del(...keys);
    }
    await inspector.quit();
  });

  for (const era of ERAS) {
    for (const seed of [1, 2, 3]) {
      it(`answers every batch as memory does: ${era.name}, seed ${seed}`, async () => {
        const prefix = `${uniqueName('ratchet-diff')}:state:`;
        prefixes.push(prefix);
        const redis = new RedisStateStore(redisUrl, prefix);
        const memory = new MemoryStateStore();
        try {
          const traffic = new Traffic(seededRandom(seed), era);
          for (let batch = 0; batch < 60; batch++) {
            const ops = traffic.batch();
            const [expected, actual] = await Promise.all([memory.execute(ops), redis.execute(ops)]);
            for (let i = 0; i < ops.length; i++) {
              assert.deepEqual(actual[i], expected[i], `seed ${seed}, batch ${batch}, operation ${i}: ${JSON.stringify(ops[i])}`);
            }
          }
        } finally {
          await redis.close();
        }
      });
    }
  }
});

/** Random traffic of mixed state operations, with redeliveries, late events and busy seconds. */
class Traffic {
  private clock: number;
  private step = 0;
  /** Window operations sent, for redelivery (same member, same time). */
  private sent: StateOp[] = [];
  private previous: StateOp[] = [];
  /** Set and counter keys -> event times already used there (see the generator's limits). */
  private readonly used = new Map<string, Set<number>>();

  constructor(
    private readonly random: () => number,
    private readonly era: Era,
  ) {
    this.clock = era.t0;
  }

  batch(): StateOp[] {
    // Now and then a whole batch comes again, as after a consumer restart.
    if (this.previous.length > 0 && this.random() < 0.08) return this.previous;
    // Sizes across the script's chunk of 256, so keys are seen by several calls of one batch.
    const size = this.random() < 0.15 ? 200 + Math.floor(this.random() * 400) : 1 + Math.floor(this.random() * 40);
    const ops: StateOp[] = [];
    for (let i = 0; i < size; i++) ops.push(this.op());
    this.previous = ops;
    return ops;
  }

  private op(): StateOp {
    this.step++;
    // Whole seconds (an access log's resolution) with many events in one, and now and then a gap
    // longer than the windows' retention.
    if (this.random() < 0.05) this.clock += this.random() < 0.05 ? 40 * MIN : 1_000 * (1 + Math.floor(this.random() * 30));
    const of = this.pick(SUBJECTS);
    const roll = this.random();
    if (roll < 0.08 && this.sent.length > 0) return this.pick(this.sent.slice(-60));
    if (roll < 0.12 && this.sent.length > 0) return this.pick(this.sent);
    if (roll < 0.4) return this.remember(this.count(of));
    if (roll < 0.55) return this.remember(this.distinct(of));
    if (roll < 0.65) return this.at({ kind: 'window.count', key: 'w', at: this.eventTime(), windowMs: this.windowMs() }, of);
    if (roll < 0.75) return this.setAdd(of);
    if (roll < 0.87) return this.counterAdd(of);
    if (roll < 0.95) return this.merge(of);
    return this.at({ kind: 'record.read', key: 'r' }, of);
  }

  /** An event time: mostly now, sometimes late by up to twice a window (past the retention). */
  private eventTime(): number {
    const late = this.random() < 0.2 ? Math.floor(this.random() * 12 * MIN) : 0;
    return this.clock - late + (this.era.fractional ? Math.floor(this.random() * 4) / 4 : 0);
  }

  /** The counting key mostly has a 5-minute window; a rule looks back 15 (or 2) minutes on it too. */
  private windowMs(): number {
    const roll = this.random();
    return roll < 0.8 ? 5 * MIN : roll < 0.9 ? 15 * MIN : 2 * MIN;
  }

  private count(of: string | undefined): StateOp {
    return this.at({ kind: 'window.count', key: 'w', member: `evt-${this.step}`, at: this.eventTime(), windowMs: this.windowMs() }, of);
  }

  private distinct(of: string | undefined): StateOp {
    const member = `user${Math.floor(this.random() * 25)}@example.com`;
    return this.at({ kind: 'window.distinct', key: 'd', member, at: this.eventTime(), windowMs: this.random() < 0.85 ? 5 * MIN : 2 * MIN }, of);
  }

  private setAdd(of: string | undefined): StateOp {
    const member = this.pick(['DE', 'FR', 'NL', 'US', 'GB', 'PL', 'IT']);
    return this.at({ kind: 'set.add', key: 's', member, at: this.freshTime(`s:${of}`), maxMembers: 3, retainMs: HOUR }, of);
  }

  private counterAdd(of: string | undefined): StateOp {
    const field = this.pick(['asn:3320', 'asn:6805', 'cc:DE', 'cc:FR', 'ua:5f2c', 'ua:91ab']);
    const fields = this.random() < 0.2 ? ['n', field, field] : ['n', field];
    return this.at({ kind: 'counter.add', key: 'c', fields, at: this.freshTime(`c:${of}`), maxFields: of === undefined ? 5 : 3, retainMs: HOUR }, of);
  }

  private merge(of: string | undefined): StateOp {
    const fields: Record<string, string> = {};
    for (const name of ['ip', 'country', 'at']) if (this.random() < 0.5) fields[name] = String(Math.floor(this.random() * 4));
    return this.at({ kind: 'record.merge', key: 'r', fields, retainMs: HOUR, ...(this.random() < 0.5 ? { answer: 'before' as const } : {}) }, of);
  }

  /** An event time no earlier operation on `key` used (ties in eviction are not defined). */
  private freshTime(key: string): number {
    const used = this.used.get(key) ?? new Set<number>();
    this.used.set(key, used);
    let at = this.eventTime();
    while (used.has(at)) at -= 1;
    used.add(at);
    return at;
  }

  private at<O extends StateOp>(op: O, of: string | undefined): O {
    return of === undefined ? op : { ...op, of };
  }

  private remember(op: StateOp): StateOp {
    this.sent.push(op);
    if (this.sent.length > 2_000) this.sent = this.sent.slice(-1_000);
    return op;
  }

  private pick<T>(from: readonly T[]): T {
    return from[Math.floor(this.random() * from.length)] as T;
  }
}
