import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, Consumer, EachBatchPayload, IHeaders, KafkaMessage, LogEntry, Producer } from 'kafkajs';
import { Kafka, logLevel as KafkaLogLevel, Partitioners } from 'kafkajs';
import type { ConsumeOptions, ConsumedMessage, EventLog, LogMessage, MessageBatch, Subscription } from '@ratchet/contracts';
import { AppError, errorMessage } from '@ratchet/kernel';

export interface KafkaEventLogOptions {
  /** Bootstrap brokers as `host:port`. */
  brokers: string[];
  /** Client id the brokers see in their logs and quotas. */
  clientId: string;
  /**
   * Prepended to every topic and consumer group on the broker (`staging.` + `auth.events`), so
   * several deployments can share a cluster. Callers only ever see logical names. Default ''.
   */
  topicPrefix?: string;
  /** Partitions of the topics `ensureTopics` creates. Default 4. */
  partitions?: number;
  /**
   * Partitions one subscription hands to `handle` at the same time. Default: `partitions`, every
   * partition a replica holds: a scorer waiting on Redis for one batch has the CPU for another.
   */
  partitionsConsumedConcurrently?: number;
  /**
   * How long the group waits for a silent member (a crashed replica) before handing its partitions
   * to the others. Default 10 s (kafkajs: 30 s); the broker's minimum is 6 s.
   */
  sessionTimeoutMs?: number;
  /** kafkajs log level; entries below WARN are dropped whatever it is. Default WARN. */
  logLevel?: KafkaLogLevel;
}

/** First wait before a batch whose handler failed is redelivered; doubles up to the maximum. */
const REDELIVERY_BACKOFF_MS = 100;
const REDELIVERY_BACKOFF_MAX_MS = 5_000;
/**
 * Longest a fetch waits on the broker for new messages. Closing a subscription and noticing a
 * rebalance both wait for the fetch in flight, so this bounds them; kafkajs' 5 s is too long.
 */
const FETCH_MAX_WAIT_MS = 1_000;

/**
 * The event log over Kafka (kafkajs). Same contract as the memory log: per-key order through
 * the producer's key partitioner, at-least-once delivery, offsets committed only after `handle`
 * resolves, and a batch whose handler rejects redelivered after a back-off (never skipped,
 * never crashing the consumer).
 */
export class KafkaEventLog implements EventLog {
  private readonly kafka: Kafka;
  private readonly prefix: string;
  private readonly partitions: number;
  private readonly concurrency: number;
  private readonly sessionTimeoutMs: number;
  private readonly ensured = new Set<string>();
  private readonly subscriptions = new Set<KafkaSubscription>();
  private producerReady: Promise<Producer> | undefined;
  private adminReady: Promise<Admin> | undefined;
  private closed = false;

  constructor(options: KafkaEventLogOptions) {
    this.prefix = options.topicPrefix ?? '';
    this.partitions = options.partitions ?? 4;
    this.concurrency = options.partitionsConsumedConcurrently ?? this.partitions;
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? 10_000;
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      logLevel: options.logLevel ?? KafkaLogLevel.WARN,
      logCreator: createJsonLineLogger,
    });
  }

  async ensureTopics(topics: readonly string[]): Promise<void> {
    this.assertOpen();
    const missing = [...new Set(topics)].filter((t) => !this.ensured.has(t));
    if (missing.length === 0) return;
    const admin = await this.admin();
    const physical = missing.map((t) => this.physical(t));
    try {
      const existing = new Set(await admin.listTopics());
      const toCreate = physical.filter((t) => !existing.has(t));
      if (toCreate.length > 0) {
        await admin
          .createTopics({ waitForLeaders: true, topics: toCreate.map((topic) => ({ topic, numPartitions: this.partitions })) })
          .catch(async (err: unknown) => {
            // Another client may have created some of them meanwhile; only missing ones are an error.
            if (!(await existAfterRace(admin, toCreate))) throw err;
          });
      }
    } catch (err) {
      throw kafkaError(`creating topics ${missing.join(', ')}`, err);
    }
    for (const topic of missing) this.ensured.add(topic);
  }

  /** One produce request with acks from every in-sync replica; creates the topic on first use. */
  async publish(topic: string, messages: readonly LogMessage[]): Promise<void> {
    this.assertOpen();
    if (messages.length === 0) return;
    await this.ensureTopics([topic]);
    const producer = await this.producer();
    const now = Date.now();
    try {
      await producer.send({
        topic: this.physical(topic),
        acks: -1,
        messages: messages.map((m) => ({
          key: m.key,
          value: m.value,
          timestamp: String(m.timestamp ?? now),
          ...(m.headers ? { headers: { ...m.headers } } : {}),
        })),
      });
    } catch (err) {
      throw kafkaError(`publishing to ${topic}`, err);
    }
  }

  /**
   * Resolves once the consumer has joined its group and holds its assignment, so a `latest`
   * group sees everything published after this resolves. A group with no committed offset for
   * an assigned partition starts at the partition's end as of the join (`latest`) or at its
   * beginning (`earliest`).
   */
  async consume(options: ConsumeOptions): Promise<Subscription> {
    this.assertOpen();
    await this.ensureTopics(options.topics);
    const from = options.from ?? 'earliest';
    const logical = new Map(options.topics.map((t) => [this.physical(t), t]));
    const consumer = this.kafka.consumer({
      groupId: this.physical(options.group),
      maxWaitTimeInMs: FETCH_MAX_WAIT_MS,
      sessionTimeout: this.sessionTimeoutMs,
      heartbeatInterval: Math.max(1_000, Math.floor(this.sessionTimeoutMs / 5)),
    });
    const subscription = new KafkaSubscription(consumer, logical, (batch) => options.handle(batch), () =>
      this.subscriptions.delete(subscription),
    );
    this.subscriptions.add(subscription);
    try {
      const joined = subscription.firstJoin();
      joined.catch(() => undefined);
      await consumer.connect();
      await consumer.subscribe({ topics: [...logical.keys()], fromBeginning: from === 'earliest' });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.concurrency,
        eachBatch: (payload) => subscription.deliver(payload),
      });
      const assignment = await joined;
      if (from === 'latest') await this.startUncommittedAtEnd(consumer, options.group, assignment);
      return subscription;
    } catch (err) {
      await subscription.close();
      throw kafkaError(`joining group ${options.group}`, err);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    const clients = await Promise.allSettled([this.producerReady, this.adminReady].filter((c) => c !== undefined));
    await Promise.all(clients.flatMap((c) => (c.status === 'fulfilled' ? [c.value.disconnect()] : [])));
  }

  /**
   * kafkajs resolves `latest` lazily, at the first fetch after the join, which can come after a
   * message published once `consume` resolved. Seeking the partitions the group never committed
   * to their end as of now closes that gap; the offsets are checked after the join, while no
   * other member can commit these partitions.
   */
  private async startUncommittedAtEnd(consumer: Consumer, group: string, assignment: Assignment): Promise<void> {
    const topics = Object.keys(assignment).filter((t) => (assignment[t] ?? []).length > 0);
    if (topics.length === 0) return;
    const admin = await this.admin();
    const committed = await admin.fetchOffsets({ groupId: this.physical(group), topics });
    for (const { topic, partitions } of committed) {
      const assigned = new Set(assignment[topic] ?? []);
      const uncommitted = partitions.filter((p) => assigned.has(p.partition) && Number(p.offset) < 0);
      if (uncommitted.length === 0) continue;
      const ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, o.high]));
      for (const { partition } of uncommitted) {
        const high = ends.get(partition);
        if (high !== undefined) consumer.seek({ topic, partition, offset: high });
      }
    }
  }

  private physical(name: string): string {
    return this.prefix + name;
  }

  private producer(): Promise<Producer> {
    this.producerReady ??= connectOnce(
      () => this.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false }),
      () => (this.producerReady = undefined),
    );
    return this.producerReady;
  }

  private admin(): Promise<Admin> {
    this.adminReady ??= connectOnce(
      () => this.kafka.admin(),
      () => (this.adminReady = undefined),
    );
    return this.adminReady;
  }

  private assertOpen(): void {
    if (this.closed) throw new AppError('PLATFORM.EVENT_LOG_CLOSED', 'the Kafka event log is closed');
  }
}

type Assignment = Readonly<Record<string, readonly number[]>>;

/** One consumer in one group: delivers batches, commits after `handle`, backs off on failure. */
class KafkaSubscription implements Subscription {
  private readonly stopping = new AbortController();
  private readonly failures = new Map<string, number>();
  private closing: Promise<void> | undefined;

  /** `logical`: physical topic name → the name callers use. */
  constructor(
    private readonly consumer: Consumer,
    private readonly logical: ReadonlyMap<string, string>,
    private readonly handle: (batch: MessageBatch) => Promise<void>,
    private readonly onClosed: () => void,
  ) {}

  /** The assignment of the first join; rejects if the consumer stops or crashes for good before. */
  firstJoin(): Promise<Assignment> {
    const { events } = this.consumer;
    return new Promise<Assignment>((resolve, reject) => {
      const removers = [
        this.consumer.on(events.GROUP_JOIN, (e) => settle(() => resolve(e.payload.memberAssignment))),
        this.consumer.on(events.CRASH, (e) => {
          if (!e.payload.restart) settle(() => reject(e.payload.error));
        }),
        this.consumer.on(events.STOP, () => settle(() => reject(new Error('consumer stopped before joining its group')))),
      ];
      const settle = (done: () => void): void => {
        for (const remove of removers) remove();
        done();
      };
    });
  }

  /**
   * Hands one fetched batch to `handle`. Resolved: the batch's offsets are resolved and committed.
   * Rejected: nothing is committed, the partition is sought back to the batch's first offset and
   * the worker backs off (100 ms doubling to 5 s per partition), so the next fetch redelivers it.
   * Never throws for a handler failure, which would make kafkajs restart the whole consumer.
   */
  async deliver(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const first = batch.messages[0];
    if (!first || !payload.isRunning() || payload.isStale()) return;
    const topic = this.logical.get(batch.topic) ?? batch.topic;
    const key = `${batch.topic}/${batch.partition}`;
    const messages = batch.messages.map((m) => toConsumed(topic, batch.partition, m));
    try {
      await this.handle({ topic, partition: batch.partition, messages });
    } catch (err) {
      const backoff = Math.min(REDELIVERY_BACKOFF_MS * 2 ** (this.failures.get(key) ?? 0), REDELIVERY_BACKOFF_MAX_MS);
      this.failures.set(key, (this.failures.get(key) ?? 0) + 1);
      this.consumer.seek({ topic: batch.topic, partition: batch.partition, offset: first.offset });
      this.consumer.logger().warn('handler failed; batch will be redelivered', {
        topic,
        partition: batch.partition,
        offset: first.offset,
        backoffMs: backoff,
        error: errorMessage(err),
      });
      await sleep(backoff, undefined, { signal: this.stopping.signal }).catch(() => undefined);
      if (payload.isRunning()) await payload.heartbeat();
      return;
    }
    this.failures.delete(key);
    const last = batch.lastOffset();
    payload.resolveOffset(last);
    await payload.commitOffsetsIfNecessary({
      topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: (BigInt(last) + 1n).toString() }] }],
    });
  }

  /** Lets the batch in flight finish (a back-off is cut short), leaves the group, disconnects. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.stopping.abort();
      try {
        await this.consumer.disconnect();
      } finally {
        this.onClosed();
      }
    })();
    return this.closing;
  }
}

function toConsumed(topic: string, partition: number, message: KafkaMessage): ConsumedMessage {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key?.toString('utf8') ?? '',
    value: message.value?.toString('utf8') ?? '',
    headers: decodeHeaders(message.headers),
    timestamp: Number(message.timestamp),
  };
}

/** Header values as UTF-8 strings; a header repeated in one message keeps its last value. */
function decodeHeaders(headers: IHeaders | undefined): Record<string, string> {
  const decoded: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers ?? {})) {
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (value !== undefined) decoded[name] = value.toString();
  }
  return decoded;
}

/** Waits between looks at a topic list that another client's CreateTopics just changed. */
const TOPIC_RACE_BACKOFF_MS = [100, 200, 400, 800, 1_600] as const;

/**
 * Whether every one of `topics` exists and has its partition leaders, after a CreateTopics that
 * failed. When services start together their requests overlap: the broker answers "already
 * exists" for the topics another created (failing the whole request, so kafkajs never waited for
 * the leaders of the ones it did create), and metadata read right then can still answer "this
 * server does not host this topic-partition". Both pass within moments, so retriable errors and
 * a missing topic are looked at again a few times (~3 s in all) before giving up.
 */
async function existAfterRace(admin: Admin, topics: readonly string[]): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    try {
      const now = new Set(await admin.listTopics());
      if (topics.every((t) => now.has(t))) {
        const metadata = await admin.fetchTopicMetadata({ topics: [...topics] });
        if (metadata.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return true;
      }
    } catch (err) {
      if (originalCause(err)?.retriable !== true || attempt >= TOPIC_RACE_BACKOFF_MS.length) throw err;
    }
    const wait = TOPIC_RACE_BACKOFF_MS[attempt];
    if (wait === undefined) return false;
    await sleep(wait);
  }
}

/** Connects a client once; a failed connection is forgotten so the next call tries again. */
async function connectOnce<C extends { connect(): Promise<void> }>(create: () => C, forget: () => void): Promise<C> {
  const client = create();
  try {
    await client.connect();
    return client;
  } catch (err) {
    forget();
    throw kafkaError('connecting to the brokers', err);
  }
}

/**
 * `PLATFORM.KAFKA_UNAVAILABLE` (retryable) when kafkajs gave up on an error that may pass,
 * `PLATFORM.KAFKA_REJECTED` otherwise; the same rule kafkajs uses to restart a crashed consumer.
 */
function kafkaError(doing: string, err: unknown): AppError {
  if (err instanceof AppError) return err;
  const retryable =
    (err instanceof Error && err.name === 'KafkaJSNumberOfRetriesExceeded') || originalCause(err)?.retriable === true;
  return new AppError(retryable ? 'PLATFORM.KAFKA_UNAVAILABLE' : 'PLATFORM.KAFKA_REJECTED', `${doing}: ${errorMessage(err)}`, retryable, {
    cause: err,
  });
}

function originalCause(err: unknown): { retriable?: unknown } | undefined {
  let current: unknown = err;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return typeof current === 'object' && current !== null ? current : undefined;
}

/**
 * kafkajs log entries at WARN and above as JSON lines on stderr; everything below is dropped, and
 * so is the connection-level error for a heartbeat answered "rebalancing", which is routine (the
 * runner reports the rejoin at WARN).
 */
function createJsonLineLogger(): (entry: LogEntry) => void {
  return ({ namespace, level, log }) => {
    if (level === KafkaLogLevel.NOTHING || level > KafkaLogLevel.WARN) return;
    if (namespace === 'Connection' && String(log['error']).startsWith('The group is rebalancing')) return;
    const { message, timestamp, ...fields } = log;
    const line = { time: timestamp, level: level === KafkaLogLevel.ERROR ? 'error' : 'warn', namespace, msg: message, ...fields };
    process.stderr.write(`${JSON.stringify(line, jsonSafe)}\n`);
  };
}

function jsonSafe(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (typeof value === 'bigint') return value.toString();
  return value;
}
