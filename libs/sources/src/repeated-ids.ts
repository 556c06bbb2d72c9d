import { hash } from 'node:crypto';

/**
 * Numbers the ids of repeated records, as the collector and the eval replay admit them. Log lines
 * carry no id of their own: a parser derives one from the content, so byte-identical lines (a tool
 * hammering a login within one second of log resolution) share it — the second gets `id#1`, the
 * third `id#2`, and a burst counts once per line. A parser may also give *different* records the
 * same id on purpose: the lines that report one occurrence (sshd logs one failed attempt on up to
 * three lines). Those keep the id, so detectors, which count an id once, count the occurrence once.
 */
export class RepeatedIds {
  /**
   * By id: the first record that yielded it, and, once the id repeats, how often each record
   * yielded it, records kept as digests of their text (sha1) so the counts keep no record alive.
   * Most ids never repeat (a vendor's own event ids, a log line's digest), so the first record is
   * kept as given — its text, or a function making it — and digested only when its id comes again
   * or at `settle`: a line is hashed once to find its id, not twice.
   */
  private readonly byId = new Map<string, { first: Digest | (() => string); counts?: Map<Digest, number> }>();
  /** What was numbered since the last `checkpoint`, newest last, for `rollback` and `settle`. */
  private numbered: Array<{ id: string; digest?: Digest }> = [];

  /** Records held: each id, and each other record that yielded it (the many lines a client can give one attempt). */
  private held = 0;

  /**
   * Records held so far (an id and the digests of the different records that yielded it): what a
   * caller bounds, since a client can send endless different lines under one id (an sshd attempt's
   * id ignores the client's port).
   */
  get size(): number {
    return this.held;
  }

  /**
   * The id to admit an event under: `id` the first time `record` yields it, `id#n` on its n-th
   * repeat. `record` may be given as a function making its text, called only if the id repeats
   * (or at `settle`); either is kept, not digested, until then.
   */
  number(id: string, record: RecordText): string {
    const entry = this.byId.get(id);
    if (entry === undefined) {
      this.byId.set(id, { first: typeof record === 'string' ? () => record : record });
      this.numbered.push({ id });
      this.held++;
      return id;
    }
    const counts = (entry.counts ??= new Map([[typeof entry.first === 'string' ? entry.first : digestOf(entry.first), 1]]));
    const digest = digestOf(record);
    const repeat = counts.get(digest) ?? 0;
    if (repeat === 0) this.held++;
    counts.set(digest, repeat + 1);
    this.numbered.push({ id, digest });
    return repeat === 0 ? id : `${id}#${repeat}`;
  }

  /**
   * Makes the digest of each first record numbered since the last `checkpoint`: a caller that
   * keeps the counts past a request (the collector's streams) calls it at the end of each, since a
   * record kept as given — its text, or a function making it — holds the record alive (in V8 a
   * line holds the request body it was split from) as long as the id is remembered.
   */
  settle(): void {
    for (const { id, digest } of this.numbered) {
      const entry = digest === undefined ? this.byId.get(id) : undefined;
      if (entry !== undefined && typeof entry.first === 'function') entry.first = digestOf(entry.first);
    }
  }

  /** Keeps what was numbered so far: a later `rollback` goes back to here. */
  checkpoint(): void {
    this.numbered = [];
  }

  /** Forgets what was numbered since the last `checkpoint`: a retried request is numbered as it was the first time. */
  rollback(): void {
    for (let i = this.numbered.length - 1; i >= 0; i--) {
      const { id, digest } = this.numbered[i] as { id: string; digest?: Digest };
      const counts = this.byId.get(id)?.counts;
      if (digest === undefined || counts === undefined) {
        // The id's first record: every other record of it came later and is undone already.
        if (this.byId.delete(id)) this.held--;
        continue;
      }
      const count = (counts.get(digest) ?? 1) - 1;
      if (count > 0) counts.set(digest, count);
      else if (counts.delete(digest)) this.held--;
    }
    this.numbered = [];
  }

  /** Forgets every record seen: the next one starts an independent count. */
  clear(): void {
    this.byId.clear();
    this.held = 0;
    this.numbered = [];
  }
}

/** A record's text, or a function making it. */
export type RecordText = string | (() => string);

/** sha1 of a record's text: the counts tell records apart without keeping them. */
type Digest = string;

function digestOf(record: RecordText): Digest {
  return hash('sha1', typeof record === 'string' ? record : record());
}
