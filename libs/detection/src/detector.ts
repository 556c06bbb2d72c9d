import type { AuthAction, AuthEvent, Plane, RiskSignal } from '@ratchet/contracts';
import type { EntityRef } from '@ratchet/kernel';
import { thresholdConfidence } from './event-reading';
import type { StateOp, StateResult } from './state-store.port';

/** One indicator of compromise. Pure: time comes from the event, state from the plan's results. */
export interface Detector<P> {
  /** Stable, operator-facing: `auth.brute-force`. */
  readonly id: string;
  /** The signal type it emits, matched by chains. */
  readonly signalType: string;
  readonly summary: string;
  readonly defaults: P;
  /**
   * Needs no state: `plan` answers no operations, and the batch engine runs `detect` on every
   * event all the same, with no results (threat-intel lookups). Default false: a detector that
   * plans nothing for an event is not asked about it.
   */
  readonly stateless?: boolean;
  /**
   * The events it can say anything about; absent, every event. The batch engine asks a detector
   * only about events in its scope, so a declared scope must hold every event its `plan` or
   * `detect` would answer for (two specs check this, see the README): with 32 detectors and most
   * of them about one plane or one action, most calls would otherwise answer nothing.
   */
  readonly reads?: EventScope;
  /** Validates and normalises raw settings over the defaults; throws InvalidDetectorConfig naming the field. */
  compile(raw: unknown): P;
  /** The state operations this event needs; empty when the event is not relevant. */
  plan(event: AuthEvent, params: P): StateOp[];
  /** Signals from the event and the results of exactly the operations `plan` returned. */
  detect(event: AuthEvent, results: readonly StateResult[], params: P): RiskSignal[];
}

/** Which events a detector reads: those of one of `planes` (absent: any) with one of `actions` (absent: any). */
export interface EventScope {
  readonly planes?: readonly Plane[];
  readonly actions?: readonly AuthAction[];
}

/** A detector with its settings fixed, ready for the batch engine. */
export interface CompiledDetector {
  readonly id: string;
  /** `detect` runs even when `plan` answered no operations. */
  readonly stateless?: boolean;
  /** See `Detector.reads`. */
  readonly reads?: EventScope;
  plan(event: AuthEvent): StateOp[];
  detect(event: AuthEvent, results: readonly StateResult[]): RiskSignal[];
}

export function bindDetector<P>(detector: Detector<P>, params: P): CompiledDetector {
  return {
    id: detector.id,
    stateless: detector.stateless === true,
    reads: detector.reads,
    plan: (event) => detector.plan(event, params),
    detect: (event, results) => detector.detect(event, results, params),
  };
}

export function signalId(detectorId: string, entity: string, eventId: string): string {
  return `${detectorId}|${entity}|${eventId}`;
}

export function isFailedLogin(event: AuthEvent): boolean {
  return event.action === 'login' && event.outcome === 'failure';
}

/** A signal about one event. `evidence` holds what an operator needs to see why it fired. */
export function eventSignal(
  detector: Pick<Detector<unknown>, 'id' | 'signalType'>,
  event: AuthEvent,
  entity: EntityRef,
  severity: number,
  confidence: number,
  evidence: Record<string, string | number>,
): RiskSignal {
  return {
    v: 1,
    id: signalId(detector.id, entity, event.id),
    type: detector.signalType,
    detector: detector.id,
    entity,
    severity,
    confidence,
    at: event.ts,
    evidence,
    eventIds: [event.id],
  };
}

/**
 * The signal of a threshold detector once `count` reached `threshold`: confidence grows from
 * 0.5 at the threshold to 1 at twice the threshold.
 */
export function thresholdSignal(
  detector: Pick<Detector<unknown>, 'id' | 'signalType'>,
  event: AuthEvent,
  entity: EntityRef,
  evidence: { count: number; countName: string; threshold: number; windowMs: number },
  severity = 0.8,
): RiskSignal {
  const { count, countName, threshold, windowMs } = evidence;
  return eventSignal(detector, event, entity, severity, thresholdConfidence(count, threshold), { [countName]: count, threshold, windowMs });
}

/** `eventSignal` with its rating named: for detectors that compute severity, confidence and evidence together. */
export function ratedSignal(
  detector: Pick<Detector<unknown>, 'id' | 'signalType'>,
  event: AuthEvent,
  entity: EntityRef,
  rating: { severity: number; confidence: number; evidence: RiskSignal['evidence'] },
): RiskSignal {
  return eventSignal(detector, event, entity, rating.severity, rating.confidence, rating.evidence);
}

export function isSuccessfulLogin(event: AuthEvent): boolean {
  return event.action === 'login' && event.outcome === 'success';
}

/** The id of the event's principal when it is a user (not a service, not anonymous). */
export function userIdOf(event: AuthEvent): string | undefined {
  const principal = event.principal;
  return principal?.type === 'user' && principal.id ? principal.id : undefined;
}
