import { Inject, Injectable } from '@nestjs/common';
import type { Context } from '@opentelemetry/api';
import {
  compileAuthEventAdmission,
  DEAD_LETTER_REASONS,
  EVENT_LOG,
  HEADERS,
  TOPICS,
  type AuthEvent,
  type AuthEventInput,
  type DeadLetterReason,
  type EventLog,
  type LogMessage,
} from '@ratchet/contracts';
import { forwardedClientAddress, type Clock, type TrustedProxies } from '@ratchet/kernel';
import { CLOCK, injectTraceHeaders, RatchetMetrics } from '@ratchet/platform';
import { openEnvelope, RepeatedIds, StreamMemory, type SourceParser, type SourceResult } from '@ratchet/sources';
import { COLLECTOR_SETTINGS, type CollectorSettings } from './collector-settings';
import type { BodyItem } from './ingest-body';
import { StreamTable } from './stream-table';

export interface IngestResult {
  accepted: number;
  /** Well-formed records that are not about authentication or access (counted, not dead-lettered). */
  ignored: number;
  rejected: Array<{ index: number; errors: string[] }>;
}

/**
 * Admits canonical events: resolves the client behind trusted proxies where the record logged
 * X-Forwarded-For, validates each event with the compiled schema, enriches the admitted ones
 * (address scope, geo, ASN), publishes them to `auth.events` keyed by the entity detectors group
 * on, and every refused record to `auth.events.dlq` with the reason in its headers. Resolves only
 * once both are durable, so a 202 (or a committed offset) means nothing can be lost.
 */
@Injectable()
export class IngestService {
  private readonly admit = compileAuthEventAdmission();

  constructor(
    @Inject(EVENT_LOG) private readonly eventLog: EventLog,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(RatchetMetrics) private readonly metrics: RatchetMetrics,
    @Inject(COLLECTOR_SETTINGS) private readonly settings: CollectorSettings,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.eventLog.ensureTopics([TOPICS.authEvents, TOPICS.authEventsDlq]);
  }

  /**
   * Repeat counts of the streams that asked to be numbered across their requests (`stream`):
   * a shipper following a log sends one run of lines in many requests, and byte-identical lines a
   * second apart would otherwise restart at `#0` in each request and collapse into one. A new
   * run of the shipper is a new stream and numbers from the start again, so re-sending a file is
   * still idempotent. Bounded (`StreamLimits`): the least recently used streams are forgotten
   * beyond 1,000 or when all of them keep too much, and a stream's counts start over beyond
   * 100,000 records (repeats are a second apart, so only recent lines matter). The stream's `memory`
   * is what parsers keep between its lines (sshd's connections: `Too many authentication
   * failures` names no address, an earlier line of its pid does), bounded by its own capacity and
   * rolled back with the ids for a retried batch.
   */
  private readonly streams = new StreamTable();

  /**
   * Reads each record with the source's parser and admits what it yields. A record the parser
   * refuses, or whose events fail validation, is dead-lettered whole with the reason. An item that
   * is one of the source's batch envelopes is opened first; its records keep the item's index.
   * `stream`: the shipper run this request belongs to and the number of its batch; a batch sent
   * again (a retry after a lost answer) is numbered as it was the first time.
   */
  async ingest(items: readonly BodyItem[], parser: SourceParser, trace: Context, stream?: { name: string; batch: number }): Promise<IngestResult> {
    const source = parser.id;
    const observedAt = this.clock.now();
    const traceHeaders = injectTraceHeaders(trace, {});
    const accepted: LogMessage[] = [];
    const deadLetters: LogMessage[] = [];
    const rejected: IngestResult['rejected'] = [];
    let ignored = 0;
    // Within a request (or across the requests of one `stream`), the ids of byte-identical records
    // are numbered (a burst counts; re-sending the same file stays idempotent); different lines a
    // parser gave one id (the lines of one sshd attempt) keep it and count once. See `RepeatedIds`.
    // The request, or the stream it belongs to, is also what a parser reads a line's neighbours in.
    const named = stream === undefined ? undefined : { name: `${parser.id}\n${stream.name}`, batch: stream.batch };
    const { ids, memory } = named === undefined ? { ids: new RepeatedIds(), memory: new StreamMemory() } : this.streams.state(named.name, named.batch);
    /** Parses one record and admits its events; `at` names a record inside a batch (`Records[3]`). */
    const read = (index: number, value: unknown, at?: string): void => {
      const reasons = (errors: readonly string[]): string[] => (at === undefined ? [...errors] : errors.map((e) => `${at}: ${e}`));
      const raw = (): string => (typeof value === 'string' ? value : (JSON.stringify(value) ?? 'undefined'));
      // A syslog time has no year: the parser takes it from when the record arrived.
      const parsed = parser.parse(value, { receivedAt: observedAt, stream: memory });
      if (!parsed.ok) {
        rejected.push({ index, errors: reasons([parsed.reason]) });
        deadLetters.push(deadLetter(raw(), DEAD_LETTER_REASONS.refusedRecord, reasons([parsed.reason]), source, observedAt));
        return;
      }
      if (parsed.events.length === 0) {
        ignored++;
        this.metrics.recordsIgnored.inc({ source, what: parsed.ignored ?? 'unspecified' });
        this.metrics.records.inc({ source, outcome: 'ignored' });
        return;
      }
      const admissions = behindProxies(parsed, this.settings.trustedProxies).map((event) => {
        if (event.id === undefined) return this.admit(event, { observedAt });
        const id = ids.number(event.id, raw);
        return this.admit(id === event.id ? event : { ...event, id }, { observedAt });
      });
      const errors = reasons(admissions.flatMap((a) => (a.ok ? [] : a.errors)));
      if (errors.length > 0) {
        // A record is kept or refused whole, so a dead letter can be replayed as it came.
        rejected.push({ index, errors });
        deadLetters.push(deadLetter(raw(), DEAD_LETTER_REASONS.invalidEvent, errors, source, observedAt));
        return;
      }
      for (const admission of admissions) {
        if (!admission.ok) continue;
        const event = this.settings.enricher.enrich(admission.event);
        accepted.push({ key: partitionKey(event), value: JSON.stringify(event), headers: traceHeaders, timestamp: observedAt });
      }
      this.metrics.records.inc({ source, outcome: 'accepted' });
    };
    for (const item of items) {
      if ('error' in item) {
        rejected.push({ index: item.index, errors: [item.error] });
        deadLetters.push(deadLetter(item.raw, DEAD_LETTER_REASONS.unparsable, [item.error], source, observedAt));
        continue;
      }
      // A vendor batch (Okta event hook, Graph page, EventList, CloudTrail file …): each record
      // inside is read, refused or dead-lettered on its own, named by its position in the batch.
      const batch = openEnvelope(parser, item.value);
      if (batch === undefined) read(item.index, item.value);
      else if (!batch.ok) {
        rejected.push({ index: item.index, errors: [batch.reason] });
        deadLetters.push(deadLetter(JSON.stringify(item.value), DEAD_LETTER_REASONS.refusedRecord, [batch.reason], source, observedAt));
      } else if (batch.records.length === 0) {
        ignored++;
        this.metrics.recordsIgnored.inc({ source, what: `empty ${batch.name}` });
      } else batch.records.forEach((record, position) => read(item.index, record, `${batch.path}[${position}]`));
    }
    // A stream's counts outlive the request: they must not hold its records (and so its body) alive.
    if (named !== undefined) {
      ids.settle();
      this.streams.trim(named.name);
    }
    await Promise.all([
      accepted.length > 0 ? this.eventLog.publish(TOPICS.authEvents, accepted) : undefined,
      this.deadLetter(deadLetters),
    ]);
    this.metrics.eventsAccepted.inc(accepted.length);
    return { accepted: accepted.length, ignored, rejected };
  }

  /** Sends refused input that never became items (e.g. a body that is not JSON) to the dead-letter topic. */
  async deadLetterBody(raw: string, reason: DeadLetterReason, error: string, source: string): Promise<void> {
    await this.deadLetter([deadLetter(raw, reason, [error], source, this.clock.now())]);
  }

  private async deadLetter(messages: LogMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.eventLog.publish(TOPICS.authEventsDlq, messages);
    for (const m of messages) {
      const reason = m.headers?.[HEADERS.reason] ?? 'unknown';
      this.metrics.eventsRejected.inc({ reason });
      this.metrics.records.inc({ source: m.headers?.[HEADERS.source] ?? 'unknown', outcome: reason });
    }
  }
}

/**
 * The record's events with `client.ip` replaced by the client behind the proxies, when the record
 * logged X-Forwarded-For and the peer it logged is a trusted proxy (see `forwardedClientAddress`).
 */
function behindProxies(parsed: Extract<SourceResult, { ok: true }>, trusted: TrustedProxies): AuthEventInput[] {
  const forwardedFor = parsed.forwardedFor;
  if (forwardedFor === undefined) return parsed.events;
  return parsed.events.map((event) => {
    const peer = event.client?.ip;
    if (peer === undefined) return event;
    const client = forwardedClientAddress(peer, forwardedFor, trusted);
    return client === undefined || client === peer ? event : { ...event, client: { ...event.client, ip: client } };
  });
}

/** Detectors keep most state per address, so events of one address share a partition and its order. */
function partitionKey(event: AuthEvent): string {
  if (event.client?.ip) return `ip:${event.client.ip}`;
  if (event.principal?.id) return `${event.principal.type === 'service' ? 'svc' : 'user'}:${event.principal.id}`;
  return event.id;
}

function deadLetter(raw: string, reason: DeadLetterReason, errors: readonly string[], source: string, at: number): LogMessage {
  return {
    key: source,
    value: raw,
    headers: { [HEADERS.reason]: reason, [HEADERS.errors]: errors.join('; ').slice(0, 4096), [HEADERS.source]: source },
    timestamp: at,
  };
}
