import type { StateOp, StateResult, StateStore } from '@ratchet/detection';
import { windowRetentionMs } from '@ratchet/detection';
import { systemClock, type Clock } from '@ratchet/kernel';

/** Members ordered by time, with each member's time: a sorted set, as Redis keeps it. */
class TimeIndex {
  readonly times: number[] = [];
  readonly names: string[] = [];
  readonly byName = new Map<string, number>();

  /** `latestWins`: an existing member moves to the later time; otherwise it stays where it is. */
  add(member: string, at: number, latestWins: boolean): void {
    const previous = this.byName.get(member);
    if (previous !== undefined) {
      if (!latestWins || previous >= at) return;
      const i = this.indexOf(member, previous);
      this.times.splice(i, 1);
      this.names.splice(i, 1);
    }
    this.byName.set(member, at);
    // Events mostly arrive in time order: appending is the common case, and O(1).
    if (at >= this.newest()) {
      this.times.push(at);
      this.names.push(member);
      return;
    }
    const i = upperBound(this.times, at);
    this.times.splice(i, 0, at);
    this.names.splice(i, 0, member);
  }

  /** Time of the newest member; -Infinity when empty. */
  newest(): number {
    return this.times.at(-1) ?? Number.NEGATIVE_INFINITY;
  }

  /** Members with a time in [from, to]. */
  count(from: number, to: number): number {
    return upperBound(this.times, to) - lowerBound(this.times, from);
  }

  get size(): number {
    return this.times.length;
  }

  /** Forgets members older than `before`. */
  trim(before: number): void {
    this.dropOldest(lowerBound(this.times, before));
  }

  private dropOldest(cut: number): readonly string[] {
    if (cut <= 0) return NONE;
    const dropped = this.names.slice(0, cut);
    for (const name of dropped) this.byName.delete(name);
    this.times.splice(0, cut);
    this.names.splice(0, cut);
    return dropped;
  }

  private indexOf(member: string, at: number): number {
    for (let i = lowerBound(this.times, at); i < this.times.length; i++) if (this.names[i] === member) return i;
    throw new Error(`index out of sync for ${member}`);
  }
}

const NONE: readonly string[] = [];

/**
 * Members with the latest event time each was seen at, forgetting the least recently seen first:
 * what sets and counters need to stay within their cap (a population table holds 200,000 fields).
 *
 * A Map keeps insertion order, so eviction reads from the front. A touch does not move the member
 * to the back: deleting and re-inserting a hot key (the `total` every login counts) leaves a dead
 * entry in the key's hash chain each time, and lookups slow down until V8 rehashes. Instead a touch
 * only marks the member as seen since it was placed; eviction walks from the front, re-placing
 * marked members at the back and forgetting the first unmarked one. That is exact least recently
 * seen by arrival (the front unmarked member was touched last when it was placed, before anything
 * behind it), and each member moves at most once per pass. Redis orders by event time, so the two
 * may evict differently only for members seen out of order.
 */
class Recency {
  /** Member → latest time seen; `touched` holds members seen again since they were placed. */
  private readonly seenAt = new Map<string, number>();
  private readonly touched = new Set<string>();

  get size(): number {
    return this.seenAt.size;
  }

  has(member: string): boolean {
    return this.seenAt.has(member);
  }

  /** Latest time wins: a member seen again later counts as recently seen; an older sighting changes nothing. */
  touch(member: string, at: number): void {
    const previous = this.seenAt.get(member);
    if (previous === undefined) {
      this.seenAt.set(member, at);
      return;
    }
    if (previous >= at) return;
    this.seenAt.set(member, at);
    this.touched.add(member);
  }

  /** Forgets the least recently seen members beyond `max`; answers those forgotten. */
  keepNewest(max: number): readonly string[] {
    if (this.seenAt.size <= max) return NONE;
    const dropped: string[] = [];
    for (const [member, at] of this.seenAt) {
      if (this.seenAt.size <= max) break;
      this.seenAt.delete(member);
      if (this.touched.delete(member)) this.seenAt.set(member, at);
      else dropped.push(member);
    }
    return dropped;
  }
}

/** Counters with the time each field was last counted at, for least-recently-counted eviction. */
interface Counters {
  readonly values: Map<string, number>;
  readonly recency: Recency;
}

interface Entry<T> {
  value: T;
  /** Wall-clock ms after which the key is gone, as with a Redis PEXPIRE. */
  expiresAt: number;
}

/** The embedded shape's state: same semantics as the Redis adapter, in one process's memory. */
export class MemoryStateStore implements StateStore {
  private readonly windows = new Map<string, Entry<TimeIndex>>();
  private readonly records = new Map<string, Entry<Record<string, string>>>();
  private readonly sets = new Map<string, Entry<Recency>>();
  private readonly counters = new Map<string, Entry<Counters>>();
  private opsSinceSweep = 0;

  constructor(private readonly clock: Clock = systemClock) {}

  async execute(ops: readonly StateOp[]): Promise<StateResult[]> {
    const now = this.clock.now();
    const results = ops.map((op) => this.apply(op, now));
    this.opsSinceSweep += ops.length;
    if (this.opsSinceSweep > 50_000) this.sweep(now);
    return results;
  }

  async close(): Promise<void> {
    this.windows.clear();
    this.records.clear();
    this.sets.clear();
    this.counters.clear();
  }

  /** Keys currently held; for memory measurements. */
  get size(): number {
    return this.windows.size + this.records.size + this.sets.size + this.counters.size;
  }

  private apply(op: StateOp, now: number): StateResult {
    switch (op.kind) {
      case 'window.count':
      case 'window.distinct': {
        if (op.member === undefined) {
          const index = live(this.windows, op.key, now)?.value;
          if (!index) return 0;
          const end = Math.max(op.at, index.newest());
          return index.count(end - op.windowMs, end);
        }
        const entry = live(this.windows, op.key, now) ?? { value: new TimeIndex(), expiresAt: 0 };
        this.windows.set(op.key, entry);
        entry.value.add(op.member, op.at, op.kind === 'window.distinct');
        const end = Math.max(op.at, entry.value.newest());
        entry.value.trim(end - windowRetentionMs(op.windowMs));
        entry.expiresAt = now + windowRetentionMs(op.windowMs);
        return entry.value.count(end - op.windowMs, end);
      }
      case 'record.merge': {
        const entry = live(this.records, op.key, now) ?? { value: {}, expiresAt: 0 };
        this.records.set(op.key, entry);
        const before = op.answer === 'before' ? { ...entry.value } : undefined;
        Object.assign(entry.value, op.fields);
        entry.expiresAt = now + op.retainMs;
        return before ?? { ...entry.value };
      }
      case 'set.add': {
        const entry = live(this.sets, op.key, now) ?? { value: new Recency(), expiresAt: 0 };
        this.sets.set(op.key, entry);
        const result = { known: entry.value.has(op.member), size: entry.value.size };
        entry.value.touch(op.member, op.at);
        entry.value.keepNewest(op.maxMembers);
        entry.expiresAt = now + op.retainMs;
        return result;
      }
      case 'record.read':
        return { ...live(this.records, op.key, now)?.value };
      case 'counter.add': {
        const entry: Entry<Counters> = live(this.counters, op.key, now) ?? { value: { values: new Map<string, number>(), recency: new Recency() }, expiresAt: 0 };
        this.counters.set(op.key, entry);
        const { values, recency } = entry.value;
        const answer = op.fields.map((field) => {
          const value = (values.get(field) ?? 0) + 1;
          values.set(field, value);
          recency.touch(field, op.at);
          return value;
        });
        for (const field of recency.keepNewest(op.maxFields)) values.delete(field);
        entry.expiresAt = now + op.retainMs;
        return answer;
      }
    }
  }

  private sweep(now: number): void {
    this.opsSinceSweep = 0;
    for (const [key, entry] of this.windows) if (entry.expiresAt <= now) this.windows.delete(key);
    for (const [key, entry] of this.records) if (entry.expiresAt <= now) this.records.delete(key);
    for (const [key, entry] of this.sets) if (entry.expiresAt <= now) this.sets.delete(key);
    for (const [key, entry] of this.counters) if (entry.expiresAt <= now) this.counters.delete(key);
  }
}

function live<T>(map: Map<string, Entry<T>>, key: string, now: number): Entry<T> | undefined {
  const entry = map.get(key);
  if (entry && entry.expiresAt <= now) {
    map.delete(key);
    return undefined;
  }
  return entry;
}

function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
