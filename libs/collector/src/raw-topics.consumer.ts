import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { context } from '@opentelemetry/api';
import { EVENT_LOG, type ConsumedMessage, type EventLog, type MessageBatch, type Subscription } from '@ratchet/contracts';
import { inSpan } from '@ratchet/platform';
import type { SourceParser } from '@ratchet/sources';
import { COLLECTOR_SETTINGS, type CollectorSettings } from './collector-settings';
import type { BodyItem } from './ingest-body';
import { IngestService } from './ingest.service';

/**
 * Pulls raw records from one topic per source (`raw.nginx-access`, `raw.okta` …; see
 * RATCHET_RAW_TOPICS), one message per record, and admits them exactly like
 * `POST /v1/ingest/{source}`: same parser, trusted-proxy resolution, validation, enrichment,
 * dead letters with the reason and the raw value. The log commits a batch's offsets only after
 * `auth.events` and `auth.events.dlq` have both acknowledged it, so a crash redelivers, never loses.
 * Raw values are not JSON envelopes with a schema version, so this reads the `EventLog` directly
 * rather than through the `EventLogTransport`.
 */
@Injectable()
export class RawTopicsConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private subscription: Subscription | undefined;
  private readonly log = new Logger(RawTopicsConsumer.name);
  private readonly parsers: ReadonlyMap<string, SourceParser>;

  constructor(
    @Inject(EVENT_LOG) private readonly eventLog: EventLog,
    @Inject(IngestService) private readonly ingest: IngestService,
    @Inject(COLLECTOR_SETTINGS) private readonly settings: CollectorSettings,
  ) {
    this.parsers = new Map(settings.rawTopics.map(({ topic, parser }) => [topic, parser]));
  }

  async onApplicationBootstrap(): Promise<void> {
    const topics = [...this.parsers.keys()];
    if (topics.length === 0) return;
    await this.eventLog.ensureTopics(topics);
    this.subscription = await this.eventLog.consume({ group: this.settings.group, topics, handle: (batch) => this.handle(batch) });
    this.log.log(`reading raw records from ${this.settings.rawTopics.map((t) => `${t.topic} (${t.parser.id})`).join(', ')}`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscription?.close();
    this.subscription = undefined;
  }

  private async handle(batch: MessageBatch): Promise<void> {
    const parser = this.parsers.get(batch.topic);
    // Only subscribed topics arrive; a batch of another would be a bug of the log, not of the data.
    if (parser === undefined) throw new Error(`no source is configured for topic ${batch.topic}`);
    if (batch.messages.length === 0) return;
    const items = batch.messages.map((message, index) => recordOf(message, index, parser));
    await inSpan('collector.ingest', context.active(), async (span, ctx) => {
      span.setAttribute('ratchet.source', parser.id);
      span.setAttribute('ratchet.records', items.length);
      span.setAttribute('messaging.source.name', batch.topic);
      await this.ingest.ingest(items, parser, ctx);
    });
  }
}

/**
 * One message, one record. A `line` source gets the value as text (one trailing newline, which
 * log shippers often keep, removed); a `json` source gets the parsed value, and a value that is
 * not JSON is refused as such.
 */
export function recordOf(message: Pick<ConsumedMessage, 'value'>, index: number, parser: SourceParser): BodyItem {
  if (parser.framing === 'line') return { index, value: message.value.replace(/\r?\n$/, '') };
  try {
    return { index, value: JSON.parse(message.value) as unknown };
  } catch {
    return { index, raw: message.value, error: 'message value is not JSON' };
  }
}
