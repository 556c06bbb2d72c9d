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
   * By id: the first record that yielded it, and, once the id repeats, how often each record text
   * yielded it. Most ids never repeat (a vendor's own event ids), so a record's text — a JSON
   * serialisation for JSON sources — is made only when its id comes again.
   */
  private readonly byId = new Map<string, { first: RecordText; counts?: Map<string, number> }>();
  /** What was numbered since the last `checkpoint`, newest last, for `rollback`. */
  private numbered: Array<{ id: string; text?: string }> = [];

  /** Ids seen so far. */
  get size(): number {
    return this.byId.size;
  }

  /**
   * The id to admit an event under: `id` the first time `record` yields it, `id#n` on its n-th
   * repeat. `record` may be given as a function making its text, called only if the id repeats.
   */
  number(id: string, record: RecordText): string {
    const entry = this.byId.get(id);
    if (entry === undefined) {
      this.byId.set(id, { first: record });
      this.numbered.push({ id });
      return id;
    }
    const counts = (entry.counts ??= new Map([[textOf(entry.first), 1]]));
    const text = textOf(record);
    const repeat = counts.get(text) ?? 0;
    counts.set(text, repeat + 1);
    this.numbered.push({ id, text });
    return repeat === 0 ? id : `${id}#${repeat}`;
  }

  /** Keeps what was numbered so far: a later `rollback` goes back to here. */
  checkpoint(): void {
    this.numbered = [];
  }

  /** Forgets what was numbered since the last `checkpoint`: a retried request is numbered as it was the first time. */
  rollback(): void {
    for (let i = this.numbered.length - 1; i >= 0; i--) {
      const { id, text } = this.numbered[i] as { id: string; text?: string };
      const counts = this.byId.get(id)?.counts;
      if (text === undefined || counts === undefined) {
        this.byId.delete(id);
        continue;
      }
      const count = (counts.get(text) ?? 1) - 1;
      if (count > 0) counts.set(text, count);
      else counts.delete(text);
    }
    this.numbered = [];
  }

  /** Forgets every record seen: the next one starts an independent count. */
  clear(): void {
    this.byId.clear();
    this.numbered = [];
  }
}

/** A record's text, or a function making it. */
export type RecordText = string | (() => string);

function textOf(record: RecordText): string {
  return typeof record === 'string' ? record : record();
}
