import type { RiskSignal } from '@ratchet/contracts';
import type { EntityRef } from '@ratchet/kernel';

/**
 * The recent signals behind entities' risk, kept so a score can be explained: which indicators
 * fired, with what evidence, on which events. A risk record keeps one contribution per signal
 * type (its latest firing); this keeps the signals themselves, bounded by `SignalRetention`.
 *
 * It lives in `risk`, not `detection`: detectors never read it; it exists for the explanations
 * the risk model owes (`explainEntity`), and the scorer writes it once a signal is scored.
 *
 * Order is newest first: event time (`at`) descending, then id descending. Times are event
 * times, as everywhere in detection and risk.
 */
export interface SignalStore {
  /** Keeps the signals, then trims to the retention. A signal already kept (same id) changes nothing. */
  append(signals: readonly RiskSignal[]): Promise<void>;
  /** The signals that match, newest first, at most `limit`, and where the next page starts. */
  query(query: SignalQuery): Promise<SignalPage>;
  close(): Promise<void>;
}

export const SIGNAL_STORE = Symbol.for('ratchet.SignalStore');

export interface SignalQuery {
  /** Only this entity's signals. Default: every entity. */
  entity?: EntityRef;
  /** Only this signal type (`brute_force`). Default: every type. */
  type?: string;
  /** Only this detector's (`auth.brute-force`). Default: every detector. */
  detector?: string;
  /** Event time, epoch ms, inclusive. Default: no lower bound. */
  since?: number;
  /** Event time, epoch ms, exclusive. Default: no upper bound. */
  until?: number;
  /** Only signals after this position in newest-first order: the `next` of the previous page. */
  after?: SignalPosition;
  /** At least 1. */
  limit: number;
}

/** A place in newest-first order: a signal's time and id. */
export interface SignalPosition {
  at: number;
  id: string;
}

export interface SignalPage {
  signals: RiskSignal[];
  /** Where the next page starts; absent when no further signal matches. */
  next?: SignalPosition;
}

/**
 * What a store keeps. Appending trims, in this order: an entity's oldest signals beyond
 * `perEntity`; every signal older than `maxAgeMs` behind the newest kept (event time); the
 * oldest beyond `total`. Oldest: lowest `at`, then lowest id.
 */
export interface SignalRetention {
  total: number;
  perEntity: number;
  maxAgeMs: number;
}

/**
 * 10,000 signals (a few MiB as JSON), 100 per entity, 24 hours — the risk record's own retention
 * (DEFAULT_RISK_MODEL.retainMs), beyond which a signal explains no score.
 */
export const DEFAULT_SIGNAL_RETENTION: SignalRetention = { total: 10_000, perEntity: 100, maxAgeMs: 24 * 3_600_000 };

/** Whether the signal passes the query's filters (entity, type, detector, since, until, after). */
export function matchesSignalQuery(signal: RiskSignal, query: SignalQuery): boolean {
  if (query.entity !== undefined && signal.entity !== query.entity) return false;
  if (query.type !== undefined && signal.type !== query.type) return false;
  if (query.detector !== undefined && signal.detector !== query.detector) return false;
  if (query.since !== undefined && signal.at < query.since) return false;
  if (query.until !== undefined && signal.at >= query.until) return false;
  return query.after === undefined || compareNewestFirst(query.after, signal) < 0;
}

/** Negative when `a` comes before `b` newest first: later time, then (same time) greater id. */
export function compareNewestFirst(a: SignalPosition, b: SignalPosition): number {
  if (a.at !== b.at) return b.at - a.at;
  return a.id === b.id ? 0 : a.id > b.id ? -1 : 1;
}
