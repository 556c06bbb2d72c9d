import type { AuthEventInput } from '@ratchet/contracts';
import type { StreamMemory } from './stream-memory';

/**
 * One log format in, canonical events out. Pure: no I/O, no clock — every time comes from the
 * record. A parser never throws on bad input; it answers why the record was refused, and the
 * collector dead-letters it with that reason.
 */
export interface SourceParser {
  /** Stable, operator-facing: the `{source}` of `POST /v1/ingest/{source}`, `--source` of `ratchet ingest`. */
  readonly id: string;
  readonly summary: string;
  /**
   * How a body or a file is cut into records: `line` — one record per text line (access logs);
   * `json` — one JSON value per record (a JSON object, a JSON array of them, or NDJSON).
   */
  readonly framing: 'line' | 'json';
  /**
   * Line parsers whose records are syslog messages and that read the header themselves, because
   * the event's time (or the program's name) is only there (`sshd`, `apache-error`). For every
   * other line parser the catalogue strips a leading syslog header (see `acceptingEnvelopes`).
   */
  readonly readsSyslogHeader?: boolean;
  /**
   * A `line` parser gets the line (a string, without its newline); a `json` parser the parsed value.
   * `context` carries what the reader knows beyond the record (see `ParseContext`); parsers that do
   * not need it ignore it.
   */
  parse(record: unknown, context?: ParseContext): SourceResult;
  /**
   * The batches this source's producers post (`json` framing only): a record that is one of these
   * envelopes is opened and each record inside it parsed on its own (see `openEnvelope`).
   * Declared per source, never guessed. Default: none.
   */
  readonly envelopes?: readonly BatchEnvelope[];
}

/**
 * What the caller knows about a record beyond its bytes. Pure input, never read from a clock here.
 * `receivedAt` (epoch ms, the collector's `observedAt`): a syslog RFC 3164 time has no year, so
 * it is taken as the year that puts the time closest before this instant (see `syslog-header.ts`).
 * `stream`: the memory of the stream the record is read in, records in their order (see
 * `StreamMemory`); without it a parser reads every record on its own, as if it were alone.
 */
export interface ParseContext {
  receivedAt?: number;
  stream?: StreamMemory;
}

/**
 * A vendor's way of posting several records at once: Okta event hooks (`data.events`), Microsoft
 * Graph pages (`value`), Azure diagnostic settings (`records`), a Kubernetes `EventList`
 * (`items`), a CloudTrail file (`Records`).
 */
export interface BatchEnvelope {
  /** What the envelope is, for documentation and reasons: `Okta event hook`. */
  readonly name: string;
  /** Dotted path to the array of records: `data.events`. */
  readonly records: string;
  /**
   * A top-level field that must hold this value for a record to be this envelope, where the
   * records key alone could be a field of a single record: `{ field: 'kind', equals: 'EventList' }`.
   */
  readonly when?: { readonly field: string; readonly equals: string };
}

/**
 * `ok` with events: the record became these canonical events (often one);
 * `ok` with none: a well-formed record that is not about authentication or access (`ignored`
 * names what it was, so it is counted, not lost silently);
 * not `ok`: a malformed record; `reason` names the problem (and the field, where there is one).
 * `forwardedFor`: the `X-Forwarded-For` the request carried, as logged, when the format records
 * it. A parser cannot know which proxies to believe, so `client.ip` stays the peer that connected;
 * the collector resolves the client from this header against its trusted proxies.
 */
export type SourceResult = { ok: true; events: AuthEventInput[]; ignored?: string; forwardedFor?: string } | { ok: false; reason: string };

export const ignoredRecord = (what: string): SourceResult => ({ ok: true, events: [], ignored: what });
export const refusedRecord = (reason: string): SourceResult => ({ ok: false, reason });
