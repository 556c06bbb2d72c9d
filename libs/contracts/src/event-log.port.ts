/**
 * The durable, partitioned log between stages (Kafka in production, memory when embedded).
 * Messages with the same key land in the same partition and keep their order.
 */
export interface LogMessage {
  key: string;
  value: string;
  headers?: Readonly<Record<string, string>>;
  /** Epoch ms; defaults to the time of publishing. */
  timestamp?: number;
}

export interface ConsumedMessage extends LogMessage {
  topic: string;
  partition: number;
  offset: string;
  headers: Readonly<Record<string, string>>;
  timestamp: number;
}

/** Messages of one topic-partition, in offset order. */
export interface MessageBatch {
  topic: string;
  partition: number;
  messages: readonly ConsumedMessage[];
}

export interface ConsumeOptions {
  group: string;
  topics: readonly string[];
  /**
   * Called with each batch. Offsets are committed only after it resolves, so effects come
   * before commits: a crash redelivers, never loses. A rejection redelivers the batch.
   */
  handle(batch: MessageBatch): Promise<void>;
  /** Where a group with no committed offset starts. Default `earliest`. */
  from?: 'earliest' | 'latest';
}

export interface Subscription {
  /** Stops consuming after the batch in flight; resolves when stopped. */
  close(): Promise<void>;
}

export interface EventLog {
  /** Creates the topics when missing. Idempotent. */
  ensureTopics(topics: readonly string[]): Promise<void>;
  /** Appends messages; resolves once they are durable. */
  publish(topic: string, messages: readonly LogMessage[]): Promise<void>;
  consume(options: ConsumeOptions): Promise<Subscription>;
  close(): Promise<void>;
}

export const EVENT_LOG = Symbol.for('ratchet.EventLog');
