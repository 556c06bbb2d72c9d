import { HttpStatus } from '@nestjs/common';
import type { RiskSignal } from '@ratchet/contracts';
import { canonicalAddress, ENTITY_KINDS, entityRef, parseEntityRef, type EntityRef } from '@ratchet/kernel';
import { ProblemException } from '@ratchet/platform';
import type { SignalPosition, SignalQuery } from '@ratchet/risk';

/** GET /v1/signals answers at most this many per page. */
export const MAX_SIGNALS_LIMIT = 1_000;
/** GET /v1/signals answers this many when `limit` is not given. */
export const DEFAULT_SIGNALS_LIMIT = 100;

/** A signal as the API shows it: times in ISO-8601, like /v1/decisions. */
export interface SignalView {
  id: string;
  type: string;
  detector: string;
  entity: string;
  severity: number;
  confidence: number;
  at: string;
  evidence: RiskSignal['evidence'];
  eventIds: readonly string[];
}

export function signalView(signal: RiskSignal): SignalView {
  const { id, type, detector, entity, severity, confidence, at, evidence, eventIds } = signal;
  return { id, type, detector, entity, severity, confidence, at: new Date(at).toISOString(), evidence, eventIds };
}

/** 400 problem+json naming the parameter. */
export function invalidParameter(parameter: string, problem: string): ProblemException {
  return new ProblemException({
    type: 'https://ratchet.dev/problems/invalid-parameter',
    title: 'Bad Request',
    status: HttpStatus.BAD_REQUEST,
    detail: `${parameter}: ${problem}`,
  });
}

/**
 * An entity reference as a client writes it, in the one spelling keys use (an address
 * canonical: `ip:2001:DB8::1` is `ip:2001:db8::1`). Refuses, naming `parameter`, what is not
 * `<kind>:<id>` with a known kind, or an `ip:` that is not an address.
 */
export function readEntityParameter(parameter: string, raw: string): EntityRef {
  const parsed = parseEntityRef(raw);
  if (!parsed) throw invalidParameter(parameter, `"${raw}" is not an entity: use <kind>:<id> with kind one of ${ENTITY_KINDS.join(', ')} (ip:203.0.113.9, user:alice@example.com)`);
  if (parsed.kind !== 'ip') return entityRef(parsed.kind, parsed.id);
  const address = canonicalAddress(parsed.id);
  if (address === undefined) throw invalidParameter(parameter, `"${parsed.id}" is not an IPv4 or IPv6 address`);
  return entityRef('ip', address);
}

const SIGNAL_PARAMETERS = ['type', 'entity', 'detector', 'since', 'until', 'limit', 'cursor'] as const;

/**
 * The query of GET /v1/signals: `type`, `entity`, `detector` (exact), `since` (inclusive) and
 * `until` (exclusive) as ISO-8601 or epoch ms, `limit` 1–1000 (default 100), `cursor` (the `next`
 * of the previous page). An unknown or repeated parameter is refused too: a misspelt filter
 * would otherwise widen the answer silently.
 */
export function readSignalQuery(raw: Readonly<Record<string, unknown>>): SignalQuery {
  for (const [name, value] of Object.entries(raw)) {
    if (!(SIGNAL_PARAMETERS as readonly string[]).includes(name)) throw invalidParameter(name, `is not a parameter (use ${SIGNAL_PARAMETERS.join(', ')})`);
    if (typeof value !== 'string') throw invalidParameter(name, 'is given more than once');
  }
  const text = raw as Readonly<Record<string, string | undefined>>;
  const query: SignalQuery = { limit: readLimit(text['limit']) };
  if (text['entity'] !== undefined) query.entity = readEntityParameter('entity', text['entity']);
  for (const name of ['type', 'detector'] as const) {
    const value = text[name];
    if (value === undefined) continue;
    if (value.trim() === '' || value.length > 200) throw invalidParameter(name, 'must be a name of 1 to 200 characters');
    query[name] = value;
  }
  if (text['since'] !== undefined) query.since = readTime('since', text['since']);
  if (text['until'] !== undefined) query.until = readTime('until', text['until']);
  if (query.since !== undefined && query.until !== undefined && query.since >= query.until) throw invalidParameter('until', 'must be later than since');
  if (text['cursor'] !== undefined) query.after = decodeCursor(text['cursor']);
  return query;
}

function readLimit(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_SIGNALS_LIMIT;
  const n = /^\d{1,7}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(n >= 1 && n <= MAX_SIGNALS_LIMIT)) throw invalidParameter('limit', `"${raw}" must be a whole number from 1 to ${MAX_SIGNALS_LIMIT}`);
  return n;
}

/** ISO-8601 with a date and, when a time is given, a zone (`2026-11-24`, `2026-11-24T10:00:00Z`), or epoch ms. */
function readTime(parameter: string, raw: string): number {
  if (/^\d{1,15}$/.test(raw)) return Number(raw);
  const iso = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/.test(raw) ? Date.parse(raw) : Number.NaN;
  if (Number.isNaN(iso)) throw invalidParameter(parameter, `"${raw}" is not a time: use ISO-8601 with a zone (2026-11-24T10:00:00Z) or epoch milliseconds`);
  return iso;
}

/** Opaque to clients: the position of the last signal of a page, base64url JSON. */
export function encodeCursor(position: SignalPosition): string {
  return Buffer.from(JSON.stringify([position.at, position.id])).toString('base64url');
}

function decodeCursor(raw: string): SignalPosition {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  if (!Array.isArray(decoded) || decoded.length !== 2 || !Number.isSafeInteger(decoded[0]) || typeof decoded[1] !== 'string') {
    throw invalidParameter('cursor', 'is not a cursor this API answered (pass the "next" of the previous page as it is)');
  }
  return { at: decoded[0] as number, id: decoded[1] };
}
