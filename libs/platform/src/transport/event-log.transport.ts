import { Logger } from '@nestjs/common';
import { Server, type CustomTransportStrategy } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { DEAD_LETTER_REASONS, HEADERS, SCHEMA_VERSION, type EventLog, type MessageBatch, type Subscription } from '@ratchet/contracts';
import { deadLetterTopic, type DecodedBatch, type DecodedMessage } from './decoded-batch';

export interface EventLogTransportOptions {
  /** Consumer group: one per service, shared by its replicas. */
  group: string;
  /** The topics this transport serves; each needs an `@EventPattern(topic)` handler. */
  topics: readonly string[];
}

/**
 * A batch-aware Nest transport over the `EventLog` port (Kafka or memory). Nest's own Kafka
 * transport hands handlers one message at a time; this one hands them a whole partition batch
 * of decoded, version-checked messages, and lets the log commit only after the handler
 * resolved — effects before commits. Undecodable messages go to `<topic>.dlq` with the reason.
 */
export class EventLogTransport extends Server implements CustomTransportStrategy {
  private subscription: Subscription | undefined;
  private readonly log = new Logger(EventLogTransport.name);

  constructor(
    private readonly eventLog: EventLog,
    private readonly options: EventLogTransportOptions,
  ) {
    super();
  }

  async listen(callback: (...args: unknown[]) => void): Promise<void> {
    for (const topic of this.options.topics) {
      if (!this.getHandlerByPattern(topic)) throw new Error(`no @EventPattern('${topic}') handler is registered`);
    }
    await this.eventLog.ensureTopics([...this.options.topics, ...this.options.topics.map(deadLetterTopic)]);
    this.subscription = await this.eventLog.consume({
      group: this.options.group,
      topics: this.options.topics,
      handle: (batch) => this.dispatch(batch),
    });
    callback();
  }

  async close(): Promise<void> {
    await this.subscription?.close();
    this.subscription = undefined;
  }

  on(): never {
    throw new Error('EventLogTransport emits no events');
  }

  unwrap<T>(): T {
    return this.eventLog as T;
  }

  private async dispatch(batch: MessageBatch): Promise<void> {
    const handler = this.getHandlerByPattern(batch.topic);
    if (!handler) throw new Error(`no handler for ${batch.topic}`);
    const { decoded, rejected } = decode(batch);
    if (rejected.length > 0) {
      this.log.warn(`${rejected.length} undecodable message(s) on ${batch.topic} sent to ${deadLetterTopic(batch.topic)}`);
      await this.eventLog.publish(deadLetterTopic(batch.topic), rejected);
    }
    if (decoded.items.length === 0) return;
    // Nest turns handler exceptions into an erroring observable; awaiting it rethrows, so the
    // log redelivers instead of committing.
    await lastValueFrom(this.transformToObservable(await handler(decoded)), { defaultValue: undefined });
  }
}

function decode(batch: MessageBatch): { decoded: DecodedBatch<unknown>; rejected: Array<{ key: string; value: string; headers: Record<string, string> }> } {
  const items: Array<DecodedMessage<unknown>> = [];
  const rejected: Array<{ key: string; value: string; headers: Record<string, string> }> = [];
  for (const message of batch.messages) {
    let value: unknown;
    try {
      value = JSON.parse(message.value);
    } catch {
      rejected.push({ key: message.key, value: message.value, headers: { ...message.headers, [HEADERS.reason]: DEAD_LETTER_REASONS.unparsable, [HEADERS.errors]: 'value is not JSON' } });
      continue;
    }
    const version = (value as { v?: unknown } | null)?.v;
    if (version !== SCHEMA_VERSION) {
      rejected.push({
        key: message.key,
        value: message.value,
        headers: { ...message.headers, [HEADERS.reason]: DEAD_LETTER_REASONS.unknownSchema, [HEADERS.errors]: `v: expected ${SCHEMA_VERSION}, got ${JSON.stringify(version)}` },
      });
      continue;
    }
    items.push({ key: message.key, value, headers: message.headers, offset: message.offset, timestamp: message.timestamp });
  }
  return { decoded: { topic: batch.topic, partition: batch.partition, items }, rejected };
}
