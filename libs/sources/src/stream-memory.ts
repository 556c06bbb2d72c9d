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
 * since another parser may share the stream. Bounded: beyond `capacity` entries the oldest written
 * is forgotten, so a stream of connections that never log their end cannot grow it without limit.
 * A retried batch is read against the memory as it was before the batch (`checkpoint`/`rollback`,
 * like `RepeatedIds`).
 */
export class StreamMemory {
  private readonly entries = new Map<string, object>();
  /**
   * What each key held before its first change since the last `checkpoint` (undefined: absent),
   * for `rollback`; kept only once a caller has taken a checkpoint, so a memory that is never
   * rolled back (a file read once) keeps nothing but its entries.
   */
  private readonly before = new Map<string, object | undefined>();
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
    return this.entries.get(key);
  }

  /** Keeps `value` under `key` as the newest entry, forgetting the oldest beyond the capacity. */
  set(key: string, value: object): void {
    this.remember(key);
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.remember(oldest);
      this.entries.delete(oldest);
    }
  }

  delete(key: string): void {
    if (!this.entries.has(key)) return;
    this.remember(key);
    this.entries.delete(key);
  }

  /** Keeps what was written so far: a later `rollback` goes back to here. */
  checkpoint(): void {
    this.before.clear();
    this.undoable = true;
  }

  /** Undoes every change since the last `checkpoint`: a retried batch is read as it was the first time. */
  rollback(): void {
    for (const [key, value] of this.before) {
      if (value === undefined) this.entries.delete(key);
      else this.entries.set(key, value);
    }
    this.before.clear();
  }

  private remember(key: string): void {
    if (this.undoable && !this.before.has(key)) this.before.set(key, this.entries.get(key));
  }
}

export const DEFAULT_STREAM_MEMORY_CAPACITY = 4096;
