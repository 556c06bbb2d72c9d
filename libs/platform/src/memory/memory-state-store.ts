import type { StateOp, StateResult, StateStore } from '@ratchet/detection';
import { windowRetentionMs } from '@ratchet/detection';
import { systemClock, type Clock } from '@ratchet/kernel';

/**
 * Sightings of members ordered by time, as a Redis sorted set keeps them: what both kinds of
 * window are made of. Trimming the oldest moves a head offset instead of shifting the arrays (a
 * busy login target's window holds 150,000 event ids, and every add trims one); the arrays are
 * compacted once half of them is dead.
 */
abstract class Sightings {
  protected times: number[] = [];
  protected names: string[] = [];
  protected head = 0;

  /** Time of the newest sighting; -Infinity when empty. */
  newest(): number {
    return this.times.length > this.head ? (this.times[this.times.length - 1] as number) : Number.NEGATIVE_INFINITY;
  }

  /** Places a sighting by its time. Events mostly arrive in time order: appending is the common case, and O(1). */
  protected place(member: string, at: number): void {
    if (at >= this.newest()) {
      this.times.push(at);
      this.names.push(member);
      return;
    }
    const i = upperBound(this.times, this.head, at);
    this.times.splice(i, 0, at);
    this.names.splice(i, 0, member);
  }

  /** Drops the dead front once it is half of the arrays; answers how far the sightings moved (0 when they did not). */
  protected compact(): number {
    const shift = this.head;
    if (shift <= 64 || shift * 2 <= this.times.length) return 0;
    this.times = this.times.slice(shift);
    this.names = this.names.slice(shift);
    this.head = 0;
    return shift;
  }
}

/**
 * A counting window: event ids by time. An event always comes with its own time, so a redelivered
 * member is found among the members at that very time: no map from member to time is kept, which
 * would double the memory and the lookups of the busiest keys.
 */
class CountingIndex extends Sightings {
  /**
   * The members at the newest time, once more than SCAN_AT_ONE_TIME share it. Access logs have
   * second resolution: a login target taking 2,000 requests a second gets 2,000 members at one
   * time, and checking each new one against all the others by scanning would be quadratic in the
   * rate.
   */
  private atNewest: Set<string> | undefined;

  add(member: string, at: number): void {
    if (this.holdsAt(member, at)) return;
    const newest = this.newest();
    if (at > newest) this.atNewest = undefined;
    else if (at === newest) this.atNewest?.add(member);
    this.place(member, at);
  }

  /** Members with a time in [from, to]. */
  count(from: number, to: number): number {
    return upperBound(this.times, this.head, to) - lowerBound(this.times, this.head, from);
  }

  /** Forgets members older than `before`. */
  trim(before: number): void {
    const cut = lowerBound(this.times, this.head, before);
    if (cut === this.head) return;
    this.head = cut;
    if (cut === this.times.length) this.atNewest = undefined;
    this.compact();
  }

  private holdsAt(member: string, at: number): boolean {
    const newest = this.newest();
    if (at === newest && this.atNewest !== undefined) return this.atNewest.has(member);
    const from = lowerBound(this.times, this.head, at);
    for (let i = from; i < this.times.length && this.times[i] === at; i++) if (this.names[i] === member) return true;
    if (at === newest && this.times.length - from > SCAN_AT_ONE_TIME) this.atNewest = new Set(this.names.slice(from));
    return false;
  }
}

/**
 * A distinct window: each member at the latest time it was seen (a principal, an address). A
 * member seen again is appended at its new time and its old sighting left in place as stale
 * (`latest` no longer names that time), rather than cut out of the middle of the arrays: a login
 * target sprayed with 20,000 principals would otherwise move a hundred thousand entries for
 * every principal seen twice. Stale sightings go when trimming reaches them. (The member of the
 * newest sighting seen again just moves that sighting forward: nothing is behind it to cut around.)
 *
 * Counting is "members whose latest time is at or after `from`": the members held, less those
 * still held whose latest time is before `from`. Those are counted once, by a boundary that
 * follows `from` forward (windows end at their newest member, so `from` only grows), and
 * corrected when one of them is seen again or trimmed.
 */
class DistinctIndex extends Sightings {
  /**
   * Each member's latest time, once more than SMALL_WINDOW sightings are held; below that (one
   * address's successful logins, its few principals) the arrays are scanned instead: a Map per
   * window would cost more than the window.
   */
  private latest: Map<string, number> | undefined;
  /** Sightings before `boundary` have times before `boundaryFrom`; `heldBefore` of them are members' latest. */
  private boundary = 0;
  private boundaryFrom = Number.NEGATIVE_INFINITY;
  private heldBefore = 0;

  add(member: string, at: number): void {
    const previous = this.latestOf(member);
    if (previous !== undefined) {
      if (previous >= at) return;
      const last = this.times.length - 1;
      if (this.names[last] === member) {
        this.moveNewestTo(last, at);
        return;
      }
      // Its old sighting turns stale; if the boundary had counted it, uncount it.
      if (previous < this.boundaryFrom) this.heldBefore--;
    }
    this.latest?.set(member, at);
    this.place(member, at);
    // A sighting before `boundaryFrom` lands before the boundary (a late one, or one appended after
    // a read at a later time moved the boundary beyond every sighting), and is counted there.
    if (at < this.boundaryFrom) {
      this.boundary++;
      this.heldBefore++;
    }
    this.growIfLarge();
  }

  /** Members whose latest time is in [from, to]; `to` must be at or after the newest member, as a window's end is. */
  count(from: number, _to: number): number {
    if (from < this.boundaryFrom) this.resetBoundary();
    while (this.boundary < this.times.length && (this.times[this.boundary] as number) < from) {
      if (this.isLatest(this.boundary)) this.heldBefore++;
      this.boundary++;
    }
    this.boundaryFrom = from;
    return this.heldCount() - this.heldBefore;
  }

  /** Forgets members whose latest time is older than `before`, and every sighting older than that. */
  trim(before: number): void {
    const cut = lowerBound(this.times, this.head, before);
    if (cut === this.head) return;
    for (let i = this.head; i < cut; i++) {
      if (!this.isLatest(i)) continue;
      this.latest?.delete(this.names[i] as string);
      if (i < this.boundary) this.heldBefore--;
    }
    this.head = cut;
    if (this.boundary < cut) this.boundary = cut;
    this.boundary -= this.compact();
  }

  /**
   * The member of the newest sighting (at `last`, never stale) seen again, later: its sighting
   * moves forward in place rather than turning stale behind a new one. A window of one member seen
   * over and over — an address's successful logins for slow brute force, every one of them — stays
   * one sighting instead of one per login until trimming.
   */
  private moveNewestTo(last: number, at: number): void {
    // A boundary past the sighting counted it as held before `boundaryFrom`; at its new time it may
    // no longer be, and then the boundary steps back onto it (every sighting before stays earlier).
    if (last < this.boundary && at >= this.boundaryFrom) {
      this.heldBefore--;
      this.boundary = last;
    }
    this.times[last] = at;
    this.latest?.set(this.names[last] as string, at);
  }

  private isLatest(i: number): boolean {
    const name = this.names[i] as string;
    if (this.latest !== undefined) return this.latest.get(name) === this.times[i];
    for (let j = i + 1; j < this.names.length; j++) if (this.names[j] === name) return false;
    return true;
  }

  private latestOf(member: string): number | undefined {
    if (this.latest !== undefined) return this.latest.get(member);
    for (let i = this.names.length - 1; i >= this.head; i--) if (this.names[i] === member) return this.times[i];
    return undefined;
  }

  /** Members held (each counted at its latest sighting). */
  private heldCount(): number {
    if (this.latest !== undefined) return this.latest.size;
    let held = 0;
    for (let i = this.head; i < this.names.length; i++) if (this.isLatest(i)) held++;
    return held;
  }

  /** Past SMALL_WINDOW sightings, the latest times go into a Map (later sightings overwrite earlier ones). */
  private growIfLarge(): void {
    if (this.latest !== undefined || this.names.length - this.head <= SMALL_WINDOW) return;
    const latest = new Map<string, number>();
    for (let i = this.head; i < this.names.length; i++) latest.set(this.names[i] as string, this.times[i] as number);
    this.latest = latest;
  }

  /** A window asked about an earlier start than before (another window length on the same key): count again from the head. */
  private resetBoundary(): void {
    this.boundary = this.head;
    this.boundaryFrom = Number.NEGATIVE_INFINITY;
    this.heldBefore = 0;
  }
}

type TimeIndex = CountingIndex | DistinctIndex;

/**
 * One member of a large set or counter table: the latest event time it was seen at, its count,
 * and whether it was seen again since it was placed (see `Recency`).
 */
interface Slot {
  at: number;
  count: number;
  touched: boolean;
}

/** Sightings a distinct window scans for a member's latest before it keeps a Map of them. */
const SMALL_WINDOW = 16;

/** Members at one time a counting window scans for a redelivered one before it keeps them in a Set. */
const SCAN_AT_ONE_TIME = 16;

/** Members a table holds in plain arrays before it becomes a Map. */
const SMALL_TABLE = 16;

/**
 * Members with the latest event time each was seen at (and, for counters, a count), forgetting the
 * least recently seen first: what sets and counters need to stay within their cap.
 *
 * Most tables are small — a user's countries, devices, login-risk fields — and there are hundreds
 * of thousands of them, so a small table is three short parallel arrays (member, latest time,
 * count): a sighting scans them, eviction forgets the member with the oldest time, as Redis's
 * sorted set does. No object per member, no hash table per user: less memory, and less for the
 * garbage collector to trace.
 *
 * Past `SMALL_TABLE` members (a population table holds 200,000 fields) it becomes a Map, which
 * keeps insertion order, so eviction reads from the front. A sighting does not move the member to
 * the back: deleting and re-inserting a hot key (the `total` every login counts) leaves a dead
 * entry in the key's hash chain each time, and lookups slow down until V8 rehashes. Instead it
 * updates the member's slot in place and marks it as seen since it was placed; eviction walks from
 * the front, re-placing marked members at the back and forgetting the first unmarked one, so each
 * member moves at most once per pass. Redis orders by event time, so the two may evict differently
 * only for members seen out of order.
 */
class Recency {
  private names: string[] = [];
  private ats: number[] = [];
  private counts: number[] = [];
  private slots: Map<string, Slot> | undefined;

  get size(): number {
    return this.slots === undefined ? this.names.length : this.slots.size;
  }

  /** Sees `member` at `at` and answers whether it was held before (a set's member). */
  mark(member: string, at: number): boolean {
    if (this.slots === undefined) {
      const i = this.locate(member, at);
      if (i >= 0) {
        const known = (this.counts[i] as number) > 0;
        this.counts[i] = 1;
        return known;
      }
    }
    const slot = this.slotOf(member, at);
    const known = slot.count > 0;
    slot.count = 1;
    return known;
  }

  /** Sees `member` at `at`, adds one to its count and answers the new count (a counter's field). */
  increment(member: string, at: number): number {
    if (this.slots === undefined) {
      const i = this.locate(member, at);
      if (i >= 0) return (this.counts[i] = (this.counts[i] as number) + 1);
    }
    return ++this.slotOf(member, at).count;
  }

  /** Forgets the least recently seen members beyond `max`. */
  keepNewest(max: number): void {
    if (this.slots === undefined) {
      while (this.names.length > max) this.forgetOldestSmall();
      return;
    }
    if (this.slots.size <= max) return;
    for (const [member, slot] of this.slots) {
      if (this.slots.size <= max) break;
      this.slots.delete(member);
      if (slot.touched) {
        slot.touched = false;
        this.slots.set(member, slot);
      }
    }
  }

  /**
   * The member's index in the small table, its time moved forward when seen later (latest time
   * wins; an older sighting changes nothing), or placed with count 0. -1 when placing it would
   * outgrow the arrays: the table has become a Map.
   */
  private locate(member: string, at: number): number {
    const names = this.names;
    for (let i = names.length - 1; i >= 0; i--) {
      if (names[i] !== member) continue;
      if ((this.ats[i] as number) < at) this.ats[i] = at;
      return i;
    }
    if (names.length === 0) {
      // Most tables hold one member for good (a user's one country): arrays of exactly one, where
      // a push would reserve room for seventeen.
      this.names = [member];
      this.ats = [at];
      this.counts = [0];
      return 0;
    }
    if (names.length < SMALL_TABLE) {
      names.push(member);
      this.ats.push(at);
      this.counts.push(0);
      return names.length - 1;
    }
    const slots = new Map<string, Slot>();
    // Placed oldest first, so that the Map's front is the least recently seen.
    const order = names.map((_, i) => i).sort((a, b) => (this.ats[a] as number) - (this.ats[b] as number));
    for (const i of order) slots.set(names[i] as string, { at: this.ats[i] as number, count: this.counts[i] as number, touched: false });
    this.slots = slots;
    this.names = [];
    this.ats = [];
    this.counts = [];
    return -1;
  }

  /** Forgets the small table's member with the oldest time (the first placed among equals), moving the last into its place. */
  private forgetOldestSmall(): void {
    const ats = this.ats;
    let oldest = 0;
    for (let i = 1; i < ats.length; i++) if ((ats[i] as number) < (ats[oldest] as number)) oldest = i;
    const last = ats.length - 1;
    this.names[oldest] = this.names[last] as string;
    ats[oldest] = ats[last] as number;
    this.counts[oldest] = this.counts[last] as number;
    this.names.pop();
    ats.pop();
    this.counts.pop();
  }

  private slotOf(member: string, at: number): Slot {
    const slots = this.slots as Map<string, Slot>;
    const slot = slots.get(member);
    if (slot === undefined) {
      const placed = { at, count: 0, touched: false };
      slots.set(member, placed);
      return placed;
    }
    if (slot.at < at) {
      slot.at = at;
      slot.touched = true;
    }
    return slot;
  }
}

type Held = TimeIndex | Recency | Readonly<Record<string, string>>;

/** What one key holds about one subject, as one Redis key would. */
interface Entry {
  /** The constant part of the key (`bf:ip`). */
  readonly key: string;
  value: Held;
  /** Wall-clock ms after which the key is gone, as with a Redis PEXPIRE. */
  expiresAt: number;
}

/**
 * Every key, held by subject first: the subject `of` (`203.0.113.7`, a user id), then the constant
 * `key` (`bf:ip`). One event's operations mostly concern the same few subjects — a login runs
 * seven operations on its user — so the first finds the subject in the one large table and the
 * others find it again in the few entries already at hand, instead of each searching a table of
 * every user under its own key: with hundreds of thousands of keys, the misses of those searches
 * were the store's largest cost. A subject holds a handful of keys, scanned in a small array (the
 * keys are string literals, compared by identity).
 */
class Keyspace {
  /** Keyed by the subject, or `undefined` for state about everyone: apart from the empty subject, as `key` is from `key:` in Redis. */
  private readonly bySubject = new Map<string | undefined, Entry[]>();
  private entries = 0;

  /** Keys held, over all subjects. */
  get size(): number {
    return this.entries;
  }

  live(key: string, of: string | undefined, now: number): Entry | undefined {
    const held = this.bySubject.get(of);
    if (held === undefined) return undefined;
    const i = indexOfKey(held, key);
    if (i < 0) return undefined;
    const entry = held[i] as Entry;
    if (entry.expiresAt > now) return entry;
    this.forget(held, i, of);
    return undefined;
  }

  /** The live entry, or a new one holding what `create` makes. */
  liveOrNew(key: string, of: string | undefined, now: number, create: () => Held): Entry {
    let held = this.bySubject.get(of);
    if (held === undefined) {
      held = [];
      this.bySubject.set(of, held);
    }
    const i = indexOfKey(held, key);
    if (i >= 0) {
      const entry = held[i] as Entry;
      if (entry.expiresAt > now) return entry;
      entry.value = create();
      entry.expiresAt = 0;
      return entry;
    }
    const fresh: Entry = { key, value: create(), expiresAt: 0 };
    held.push(fresh);
    this.entries++;
    return fresh;
  }

  /** Forgets what expired, as Redis does by itself. */
  sweep(now: number): void {
    for (const [of, held] of this.bySubject) {
      let kept = 0;
      for (const entry of held) if (entry.expiresAt > now) held[kept++] = entry;
      this.entries -= held.length - kept;
      if (kept === 0) this.bySubject.delete(of);
      else held.length = kept;
    }
  }

  clear(): void {
    this.bySubject.clear();
    this.entries = 0;
  }

  private forget(held: Entry[], i: number, of: string | undefined): void {
    held.splice(i, 1);
    this.entries--;
    if (held.length === 0) this.bySubject.delete(of);
  }
}

function indexOfKey(held: readonly Entry[], key: string): number {
  for (let i = 0; i < held.length; i++) if ((held[i] as Entry).key === key) return i;
  return -1;
}

/**
 * A key holds one kind of state; an operation of another kind on it is a programming error, as
 * Redis answers WRONGTYPE.
 */
function wrongKind(key: string, wanted: string): Error {
  return new Error(`state key ${key} holds another kind of state than ${wanted}`);
}

function timeIndexOf(entry: Entry): TimeIndex {
  if (entry.value instanceof CountingIndex || entry.value instanceof DistinctIndex) return entry.value;
  throw wrongKind(entry.key, 'a window');
}

function recencyOf(entry: Entry): Recency {
  if (entry.value instanceof Recency) return entry.value;
  throw wrongKind(entry.key, 'a set or counters');
}

function recordOf(entry: Entry): Readonly<Record<string, string>> {
  if (entry.value instanceof CountingIndex || entry.value instanceof DistinctIndex || entry.value instanceof Recency) throw wrongKind(entry.key, 'a record');
  return entry.value;
}

/** The embedded shape's state: same semantics as the Redis adapter, in one process's memory. */
export class MemoryStateStore implements StateStore {
  private readonly keys = new Keyspace();
  private opsSinceSweep = 0;
  private lastSweep: number;

  constructor(private readonly clock: Clock = systemClock) {
    this.lastSweep = clock.now();
  }

  async execute(ops: readonly StateOp[]): Promise<StateResult[]> {
    const now = this.clock.now();
    const results = new Array<StateResult>(ops.length);
    for (let i = 0; i < ops.length; i++) results[i] = this.apply(ops[i] as StateOp, now);
    // Expired keys already answer as absent (each operation checks); the sweep only gives their
    // memory back. It visits every key, so it waits for as many operations as there are keys (one
    // visit per operation at most, however much is held) and for SWEEP_INTERVAL_MS: retention is
    // minutes to months, and a busy scorer would otherwise sweep every second to find nothing.
    this.opsSinceSweep += ops.length;
    if (this.opsSinceSweep > SWEEP_MIN_OPS && this.opsSinceSweep > this.size && now - this.lastSweep >= SWEEP_INTERVAL_MS) this.sweep(now);
    return results;
  }

  async close(): Promise<void> {
    this.keys.clear();
  }

  /** Keys currently held; for memory measurements. */
  get size(): number {
    return this.keys.size;
  }

  private apply(op: StateOp, now: number): StateResult {
    const of = op.of;
    switch (op.kind) {
      case 'window.count':
      case 'window.distinct': {
        if (op.member === undefined) {
          const held = this.keys.live(op.key, of, now);
          if (held === undefined) return 0;
          const index = timeIndexOf(held);
          const end = Math.max(op.at, index.newest());
          return index.count(end - op.windowMs, end);
        }
        const entry = this.keys.liveOrNew(op.key, of, now, op.kind === 'window.distinct' ? newDistinctIndex : newCountingIndex);
        const index = timeIndexOf(entry);
        index.add(op.member, op.at);
        const end = Math.max(op.at, index.newest());
        const retainMs = windowRetentionMs(op.windowMs);
        index.trim(end - retainMs);
        entry.expiresAt = now + retainMs;
        return index.count(end - op.windowMs, end);
      }
      case 'record.merge': {
        // Records are frozen and replaced, never changed in place: the record before a merge is
        // answered as it is, and no answer can change what the store holds.
        const entry = this.keys.liveOrNew(op.key, of, now, newRecord);
        const before = recordOf(entry);
        if (hasFields(op.fields)) entry.value = Object.freeze({ ...before, ...op.fields });
        entry.expiresAt = now + op.retainMs;
        return op.answer === 'before' ? before : (entry.value as Readonly<Record<string, string>>);
      }
      case 'set.add': {
        const entry = this.keys.liveOrNew(op.key, of, now, newRecency);
        const members = recencyOf(entry);
        const size = members.size;
        const result = { known: members.mark(op.member, op.at), size };
        members.keepNewest(op.maxMembers);
        entry.expiresAt = now + op.retainMs;
        return result;
      }
      case 'record.read': {
        const held = this.keys.live(op.key, of, now);
        return held === undefined ? EMPTY_RECORD : recordOf(held);
      }
      case 'counter.add': {
        const entry = this.keys.liveOrNew(op.key, of, now, newRecency);
        const table = recencyOf(entry);
        const answer = new Array<number>(op.fields.length);
        for (let i = 0; i < op.fields.length; i++) answer[i] = table.increment(op.fields[i] as string, op.at);
        table.keepNewest(op.maxFields);
        entry.expiresAt = now + op.retainMs;
        return answer;
      }
    }
  }

  private sweep(now: number): void {
    this.opsSinceSweep = 0;
    this.lastSweep = now;
    this.keys.sweep(now);
  }
}

/** Expired keys are given back at most this long (of the store's clock) after the previous sweep, */
export const SWEEP_INTERVAL_MS = 60_000;
/** and after at least this many operations (more when more keys are held). */
export const SWEEP_MIN_OPS = 50_000;

const newCountingIndex = (): TimeIndex => new CountingIndex();
const newDistinctIndex = (): TimeIndex => new DistinctIndex();
const EMPTY_RECORD: Readonly<Record<string, string>> = Object.freeze({});
const newRecord = (): Readonly<Record<string, string>> => EMPTY_RECORD;

function hasFields(fields: Readonly<Record<string, string>>): boolean {
  for (const _ in fields) return true;
  return false;
}
const newRecency = (): Recency => new Recency();

/** First index at or after `lo` whose value is ≥ `value`. */
function lowerBound(sorted: readonly number[], lo: number, value: number): number {
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index at or after `lo` whose value is > `value`. */
function upperBound(sorted: readonly number[], lo: number, value: number): number {
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
