/**
 * Numbers the ids of repeated records, as the collector and the eval replay admit them. Log lines
 * carry no id of their own: a parser derives one from the content, so byte-identical lines (a tool
 * hammering a login within one second of log resolution) share it — the second gets `id#1`, the
 * third `id#2`, and a burst counts once per line. A parser may also give *different* records the
 * same id on purpose: the lines that report one occurrence (sshd logs one failed attempt on up to
 * three lines). Those keep the id, so detectors, which count an id once, count the occurrence once.
 */
export class RepeatedIds {
  private readonly seen = new Map<string, number>();
  /** Records numbered since the last `checkpoint`, for `rollback`. */
  private numbered: string[] = [];

  /** The id to admit an event under: `id` the first time `record` yields it, `id#n` on its n-th repeat. */
  number(id: string, record: string): string {
    const key = `${id}\n${record}`;
    const repeat = this.seen.get(key) ?? 0;
    this.seen.set(key, repeat + 1);
    this.numbered.push(key);
    return repeat === 0 ? id : `${id}#${repeat}`;
  }

  /** Keeps what was numbered so far: a later `rollback` goes back to here. */
  checkpoint(): void {
    this.numbered = [];
  }

  /** Forgets what was numbered since the last `checkpoint`: a retried request is numbered as it was the first time. */
  rollback(): void {
    for (const key of this.numbered) {
      const count = (this.seen.get(key) ?? 1) - 1;
      if (count > 0) this.seen.set(key, count);
      else this.seen.delete(key);
    }
    this.numbered = [];
  }

  /** Records counted so far. */
  get size(): number {
    return this.seen.size;
  }

  /** Forgets every record seen: the next one starts an independent count. */
  clear(): void {
    this.seen.clear();
    this.numbered = [];
  }
}
