import type { ConsumeOptions, ConsumedMessage, EventLog, LogMessage, MessageBatch, Subscription } from '@ratchet/contracts';
import { partitionOf } from './partitioner';

export interface MemoryEventLogOptions {
  /** Partitions per topic. Default 4. */
  partitions?: number;
  /** Most messages handed to one `handle` call. Default 2,000. */
  maxBatch?: number;
  /**
   * Messages kept per partition once every group has committed past them (all of them, on a topic
   * no group reads), like a retention limit. Default 10,000.
   */
  retain?: number;
  /** First wait before a failed batch is redelivered; doubles up to 5 s. Default 50 ms. */
  retryBackoffMs?: number;
}

interface Partition {
  /** Offset of messages[0]. */
  base: number;
  messages: ConsumedMessage[];
}

interface Member {
  readonly options: ConsumeOptions;
  assigned: Array<{ topic: string; partition: number }>;
  closed: boolean;
  wake: () => void;
  done: Promise<void>;
}

/**
 * A partitioned, in-process log with consumer groups and committed offsets: the embedded
 * shape's Kafka. Same contract: per-key order, at-least-once, commit after `handle` resolves,
 * partitions shared among the members of a group.
 */
export class MemoryEventLog implements EventLog {
  private readonly topics = new Map<string, Partition[]>();
  private readonly committed = new Map<string, Map<string, number>>();
  private readonly groups = new Map<string, Member[]>();
  private readonly partitions: number;
  private readonly maxBatch: number;
  private readonly retain: number;
  private readonly retryBackoffMs: number;

  constructor(options: MemoryEventLogOptions = {}) {
    this.partitions = options.partitions ?? 4;
    this.maxBatch = options.maxBatch ?? 2_000;
    this.retain = options.retain ?? 10_000;
    this.retryBackoffMs = options.retryBackoffMs ?? 50;
  }

  async ensureTopics(topics: readonly string[]): Promise<void> {
    for (const topic of topics) this.topic(topic);
  }

  async publish(topic: string, messages: readonly LogMessage[]): Promise<void> {
    const partitions = this.topic(topic);
    const now = Date.now();
    for (const message of messages) {
      const partition = partitionOf(message.key, partitions.length);
      const log = partitions[partition] as Partition;
      log.messages.push({
        topic,
        partition,
        offset: String(log.base + log.messages.length),
        key: message.key,
        value: message.value,
        headers: message.headers ?? {},
        timestamp: message.timestamp ?? now,
      });
    }
    // Topics no group reads (the audit trail, dead letters) are trimmed here, not after commits.
    partitions.forEach((_, partition) => this.trim(topic, partition));
    for (const members of this.groups.values()) for (const m of members) if (m.options.topics.includes(topic)) m.wake();
  }

  async consume(options: ConsumeOptions): Promise<Subscription> {
    for (const topic of options.topics) this.topic(topic);
    const offsets = this.offsetsOf(options.group);
    for (const topic of options.topics) {
      this.topic(topic).forEach((p, partition) => {
        const key = `${topic}/${partition}`;
        if (!offsets.has(key)) offsets.set(key, options.from === 'latest' ? p.base + p.messages.length : p.base);
      });
    }
    let wake = (): void => undefined;
    const member: Member = { options, assigned: [], closed: false, wake: () => wake(), done: Promise.resolve() };
    const members = this.groups.get(options.group) ?? [];
    members.push(member);
    this.groups.set(options.group, members);
    this.rebalance(options.group);
    member.done = this.run(member, offsets, (w) => (wake = w));
    return {
      close: async () => {
        member.closed = true;
        member.wake();
        await member.done;
        const rest = (this.groups.get(options.group) ?? []).filter((m) => m !== member);
        this.groups.set(options.group, rest);
        this.rebalance(options.group);
      },
    };
  }

  async close(): Promise<void> {
    const members = [...this.groups.values()].flat();
    for (const m of members) {
      m.closed = true;
      m.wake();
    }
    await Promise.all(members.map((m) => m.done));
    this.groups.clear();
  }

  private async run(member: Member, offsets: Map<string, number>, setWake: (w: () => void) => void): Promise<void> {
    let backoff = this.retryBackoffMs;
    while (!member.closed) {
      const pending = new Promise<void>((resolve) => setWake(resolve));
      let delivered = false;
      for (const { topic, partition } of member.assigned) {
        if (member.closed) break;
        const key = `${topic}/${partition}`;
        const log = this.topic(topic)[partition] as Partition;
        const from = Math.max(offsets.get(key) ?? log.base, log.base);
        const start = from - log.base;
        if (start >= log.messages.length) continue;
        const batch: MessageBatch = { topic, partition, messages: log.messages.slice(start, start + this.maxBatch) };
        delivered = true;
        try {
          await member.options.handle(batch);
          offsets.set(key, from + batch.messages.length);
          backoff = this.retryBackoffMs;
          this.trim(topic, partition);
        } catch {
          await delay(backoff);
          backoff = Math.min(backoff * 2, 5_000);
        }
      }
      // Yield to the event loop between rounds so producers and HTTP handlers keep running.
      if (delivered) await new Promise((resolve) => setImmediate(resolve));
      else await pending;
    }
  }

  private rebalance(group: string): void {
    const members = this.groups.get(group) ?? [];
    for (const m of members) m.assigned = [];
    if (members.length === 0) return;
    const topics = [...new Set(members.flatMap((m) => m.options.topics))];
    let next = 0;
    for (const topic of topics) {
      this.topic(topic).forEach((_, partition) => {
        const subscribers = members.filter((m) => m.options.topics.includes(topic));
        const owner = subscribers[next++ % subscribers.length];
        owner?.assigned.push({ topic, partition });
      });
    }
    for (const m of members) m.wake();
  }

  /** Drops messages every group has committed, beyond the retained tail. */
  private trim(topic: string, partition: number): void {
    const log = this.topic(topic)[partition] as Partition;
    if (log.messages.length <= this.retain * 2) return;
    let lowest = log.base + log.messages.length;
    for (const offsets of this.committed.values()) {
      const committed = offsets.get(`${topic}/${partition}`);
      if (committed !== undefined) lowest = Math.min(lowest, committed);
    }
    const drop = Math.min(lowest - log.base, log.messages.length - this.retain);
    if (drop <= 0) return;
    log.messages.splice(0, drop);
    log.base += drop;
  }

  private offsetsOf(group: string): Map<string, number> {
    let offsets = this.committed.get(group);
    if (!offsets) {
      offsets = new Map();
      this.committed.set(group, offsets);
    }
    return offsets;
  }

  private topic(name: string): Partition[] {
    let partitions = this.topics.get(name);
    if (!partitions) {
      partitions = Array.from({ length: this.partitions }, () => ({ base: 0, messages: [] }));
      this.topics.set(name, partitions);
    }
    return partitions;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
