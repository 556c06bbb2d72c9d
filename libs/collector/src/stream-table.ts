import { RepeatedIds, StreamMemory } from '@ratchet/sources';

/** What the collector keeps of one stream between its requests. */
export interface StreamState {
  ids: RepeatedIds;
  memory: StreamMemory;
  batch: number;
}

/** How much the collector keeps of the streams that name themselves (`X-Ratchet-Stream`); every default is beside its field. */
export interface StreamLimits {
  /** Streams kept; beyond it the least recently used is forgotten. Default 1,000. */
  streams: number;
  /** Records counted per stream (`RepeatedIds.size`) before its counts start over (repeats are a second apart: only recent lines matter). Default 100,000. */
  recordsPerStream: number;
  /**
   * Records counted across all streams (`RepeatedIds.size`: ids and the other lines that share
   * one), and parser memory entries (sshd's connections) kept across all streams: beyond either, after a batch, the least recently used other streams are forgotten
   * whole. Each stream's own bounds times the number of streams is far more than a collector should
   * hold (1,000 × 4,096 connections); these keep the total what a few busy shippers need.
   * Defaults 1,000,000 records (about 200 MB at most: an id or a sha1, and a count) and 65,536 entries
   * (sixteen streams at their 4,096, each at most a 100-character user name, a reason and an address).
   */
  records: number;
  connections: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = { streams: 1_000, recordsPerStream: 100_000, records: 1_000_000, connections: 65_536 };

/** A stream's state, and what the table's totals count of it. */
interface KeptStream {
  state: StreamState;
  records: number;
  connections: number;
}

/**
 * The repeat counts and parser memory of each stream, least recently used first: a shipper
 * following a log sends one run of lines in many requests, numbered and read together across them.
 *
 * The records and parser memory entries of all streams are running totals, so a request costs what
 * its own stream holds, not what every stream does. A stream changes only between its `state` and
 * its `trim` (rolled back or started over, then read), so `trim` counts the current stream again
 * and the others stand as their last `trim` counted them.
 */
export class StreamTable {
  private readonly streams = new Map<string, KeptStream>();
  private records = 0;
  private connections = 0;

  constructor(private readonly limits: StreamLimits = DEFAULT_STREAM_LIMITS) {}

  /** Streams kept now. */
  get size(): number {
    return this.streams.size;
  }

  /**
   * The stream's state for its batch `batch`, rolled back when the batch is the one it saw last (a
   * retry after a lost answer reads exactly as the first time); the counts start over when they
   * grow large (the memory bounds itself).
   */
  state(name: string, batch: number): StreamState {
    let kept = this.streams.get(name);
    if (kept === undefined) {
      if (this.streams.size >= this.limits.streams) {
        const [oldest, stream] = this.streams.entries().next().value as [string, KeptStream];
        this.forget(oldest, stream);
      }
      kept = { state: { ids: new RepeatedIds(), memory: new StreamMemory(), batch }, records: 0, connections: 0 };
      kept.state.memory.checkpoint();
    } else {
      const { state } = kept;
      this.streams.delete(name);
      if (batch === state.batch) {
        state.ids.rollback();
        state.memory.rollback();
      } else {
        if (state.ids.size > this.limits.recordsPerStream) state.ids.clear();
        else state.ids.checkpoint();
        state.memory.checkpoint();
      }
      state.batch = batch;
    }
    this.streams.set(name, kept);
    return kept.state;
  }

  /** After a batch of `current`: forgets the least recently used other streams while all of them keep more than the limits. */
  trim(current: string): void {
    const kept = this.streams.get(current);
    if (kept !== undefined) this.count(kept);
    for (const [name, stream] of this.streams) {
      if ((this.records <= this.limits.records && this.connections <= this.limits.connections) || name === current) return;
      this.forget(name, stream);
    }
  }

  has(name: string): boolean {
    return this.streams.has(name);
  }

  /** Brings the totals to what the stream holds now. */
  private count(kept: KeptStream): void {
    const records = kept.state.ids.size;
    const connections = kept.state.memory.size;
    this.records += records - kept.records;
    this.connections += connections - kept.connections;
    kept.records = records;
    kept.connections = connections;
  }

  private forget(name: string, kept: KeptStream): void {
    this.streams.delete(name);
    this.records -= kept.records;
    this.connections -= kept.connections;
  }
}
