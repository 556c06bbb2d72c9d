import type { RiskSignal } from '@ratchet/contracts';
import { DEFAULT_SIGNAL_RETENTION, matchesSignalQuery, type SignalPage, type SignalQuery, type SignalRetention, type SignalStore } from '@ratchet/risk';

/**
 * Signals kept oldest first (time, then id), as a Redis sorted set orders them, so trimming and
 * paging give the Redis adapter's answers.
 */
class SignalIndex {
  readonly signals: RiskSignal[] = [];

  insert(signal: RiskSignal): void {
    let lo = 0;
    let hi = this.signals.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (isOlder(this.signals[mid] as RiskSignal, signal)) lo = mid + 1;
      else hi = mid;
    }
    this.signals.splice(lo, 0, signal);
  }

  remove(signal: RiskSignal): void {
    const i = this.signals.indexOf(signal);
    if (i >= 0) this.signals.splice(i, 1);
  }
}

/** The embedded shape's recent signals: the Redis adapter's semantics and bounds, in memory. */
export class MemorySignalStore implements SignalStore {
  private readonly all = new SignalIndex();
  private readonly byEntity = new Map<string, SignalIndex>();
  private readonly byId = new Map<string, RiskSignal>();

  constructor(private readonly retention: SignalRetention = DEFAULT_SIGNAL_RETENTION) {}

  async append(signals: readonly RiskSignal[]): Promise<void> {
    if (signals.length === 0) return;
    for (const signal of signals) {
      if (this.byId.has(signal.id)) continue;
      this.byId.set(signal.id, signal);
      this.all.insert(signal);
      const own = this.byEntity.get(signal.entity) ?? new SignalIndex();
      this.byEntity.set(signal.entity, own);
      own.insert(signal);
      const over = own.signals.length - this.retention.perEntity;
      for (const old of own.signals.slice(0, Math.max(0, over))) this.forget(old);
    }
    const newest = this.all.signals.at(-1);
    if (newest) {
      const cutoff = newest.at - this.retention.maxAgeMs;
      const aged = this.all.signals.findIndex((s) => s.at >= cutoff);
      for (const old of this.all.signals.slice(0, aged < 0 ? this.all.signals.length : aged)) this.forget(old);
    }
    const over = this.all.signals.length - this.retention.total;
    for (const old of this.all.signals.slice(0, Math.max(0, over))) this.forget(old);
  }

  async query(query: SignalQuery): Promise<SignalPage> {
    const index = query.entity === undefined ? this.all : this.byEntity.get(query.entity);
    const found: RiskSignal[] = [];
    const kept = index?.signals ?? [];
    for (let i = kept.length - 1; i >= 0 && found.length <= query.limit; i--) {
      const signal = kept[i] as RiskSignal;
      if (matchesSignalQuery(signal, query)) found.push(signal);
    }
    if (found.length <= query.limit) return { signals: found };
    const page = found.slice(0, query.limit);
    const last = page[page.length - 1] as RiskSignal;
    return { signals: page, next: { at: last.at, id: last.id } };
  }

  async close(): Promise<void> {
    this.all.signals.length = 0;
    this.byEntity.clear();
    this.byId.clear();
  }

  /** Signals held; for memory measurements. */
  get size(): number {
    return this.byId.size;
  }

  private forget(signal: RiskSignal): void {
    this.byId.delete(signal.id);
    this.all.remove(signal);
    const own = this.byEntity.get(signal.entity);
    own?.remove(signal);
    if (own?.signals.length === 0) this.byEntity.delete(signal.entity);
  }
}

/** Redis's sorted-set order: by score, then by member. */
function isOlder(a: RiskSignal, b: RiskSignal): boolean {
  return a.at !== b.at ? a.at < b.at : a.id < b.id;
}
