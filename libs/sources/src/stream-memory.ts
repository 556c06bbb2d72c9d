/**
 * What a parser remembers between the records of one stream, for formats whose lines only mean
 * something together: sshd logs one connection on several lines of one pid, and a line such as
 * `Disconnecting: Too many authentication failures for root` names the address only on an
 * earlier or a later line of that pid. The caller owns one memory per stream — a `ratchet ingest`
 * run, an `X-Ratchet-Stream`, one request without it, one file in `ratchet eval` — and passes it in
 * `ParseContext.stream`; a parser given none reads each record on its own.
 *
 * Keys and values are the parser's: it keys by what it chooses (sshd: syslog host and pid), stores
 * values it never mutates (replacing one is a `set`), and checks what it reads back (`instanceof`),
 * since another parser may share the stream. Values stay small and hold only copies of the text
 * they keep (`detached`, clipped): the memory outlives the request. Bounded: beyond `capacity`
 * entries the oldest written is forgotten, so a stream of connections that never log their end
 * cannot grow it without limit.
 * A retried batch is read against the memory as it was before the batch (`checkpoint`/`rollback`,
 * like `RepeatedIds`).
 */
export class StreamMemory {
  /** Each value with the copy of its key the map holds: writing a known key again keeps that copy rather than the caller's cut. */
  private entries = new Map<string, Kept>();
  /**
   * The entries as the last `checkpoint` left them, copied at the first change after it, for
   * `rollback`: at most `capacity` entries however large the batch, and in their order, so a
   * retried batch forgets the same entries as the first time. Kept only once a caller has taken a
   * checkpoint, so a memory that is never rolled back (a file read once) keeps nothing else.
   */
  private saved: Map<string, Kept> | undefined;
  private undoable = false;

  /** @param capacity entries kept at most. Default 4096: far above sshd's default MaxStartups (100 unauthenticated connections). */
  constructor(readonly capacity = DEFAULT_STREAM_MEMORY_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity: must be a whole number of entries, at least 1 (got ${capacity})`);
  }

  /** Entries kept now. */
  get size(): number {
    return this.entries.size;
  }

  get(key: string): object | undefined {
    return this.entries.get(key)?.value;
  }

  /**
   * Keeps `value` under `key` as the newest entry, forgetting the oldest beyond the capacity. A key
   * longer than MAX_STREAM_MEMORY_KEY is not kept (a parser's keys are short: host and pid); the
   * key is copied (`detached`), so it keeps no part of the record it was cut from.
   */
  set(key: string, value: object): void {
    if (key.length > MAX_STREAM_MEMORY_KEY) return;
    this.save();
    const known = this.entries.get(key);
    // Moved to the newest place under the copy already held: the caller's key may be cut from a long line.
    const owned = known === undefined ? detached(key) : known.key;
    if (known !== undefined) this.entries.delete(key);
    this.entries.set(owned, { key: owned, value });
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
  }

  delete(key: string): void {
    if (!this.entries.has(key)) return;
    this.save();
    this.entries.delete(key);
  }

  /** Keeps what was written so far: a later `rollback` goes back to here. */
  checkpoint(): void {
    this.saved = undefined;
    this.undoable = true;
  }

  /** Undoes every change since the last `checkpoint`: a retried batch is read as it was the first time. */
  rollback(): void {
    if (this.saved !== undefined) this.entries = this.saved;
    this.saved = undefined;
  }

  private save(): void {
    if (this.undoable && this.saved === undefined) this.saved = new Map(this.entries);
  }
}

/** Never changed once made: `rollback` restores a copy of the map that shares them. */
interface Kept {
  readonly key: string;
  readonly value: object;
}

export const DEFAULT_STREAM_MEMORY_CAPACITY = 4096;

/** The longest key a `StreamMemory` keeps. */
export const MAX_STREAM_MEMORY_KEY = 512;

/**
 * A copy of `text` that holds nothing else alive. V8 makes a string cut from another (`slice`, a
 * regular expression's group, `split`) a view into it, so a user name kept from a log line keeps
 * the whole line — and the request body it was split from — alive: a memory kept across requests
 * stores only copies. The JSON round trip makes a new flat string and keeps every code unit,
 * lone surrogates included.
 */
export function detached(text: string): string {
  return JSON.parse(JSON.stringify(text)) as string;
}
