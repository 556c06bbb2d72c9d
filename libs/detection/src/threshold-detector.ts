import type { AuthEvent, RiskSignal } from '@ratchet/contracts';
import type { EntityRef } from '@ratchet/kernel';
import { thresholdSignal, type Detector, type EventScope } from './detector';
import { compileThresholdWindow, type ThresholdWindow } from './detector-config';
import { NO_OPS, NO_SIGNALS } from './event-reading';

/** What a threshold detector counts for an event: under which key, which member, for which entity. */
export interface ThresholdSubject {
  /** A constant naming what is counted (`bf:ip`). */
  key: string;
  /** Whom it is counted for (the address, the user). */
  of: string;
  /** An event id (`window.count`) or a distinct value (`window.distinct`). */
  member: string;
  entity: EntityRef;
}

export interface ThresholdDetectorSpec {
  id: string;
  signalType: string;
  summary: string;
  defaults: ThresholdWindow;
  /** `window.count` counts events; `window.distinct` counts distinct members. */
  counting: 'window.count' | 'window.distinct';
  /** The evidence name of the count: `failures`, `distinctPrincipals`. */
  countName: string;
  severity?: number;
  /** See `Detector.reads`. */
  reads?: EventScope;
  /** Undefined when the event is not counted. */
  subjectOf(this: void, event: AuthEvent): ThresholdSubject | undefined;
}

/**
 * A detector that fires once a window count reaches `threshold` (settings `{ threshold, window }`),
 * described as data: what it counts and for whom. The brute-force family is made of these.
 */
export function thresholdDetector(spec: ThresholdDetectorSpec): Detector<ThresholdWindow> {
  const { counting, countName, severity, subjectOf } = spec;
  return {
    id: spec.id,
    signalType: spec.signalType,
    summary: spec.summary,
    defaults: spec.defaults,
    reads: spec.reads,
    compile(raw) {
      return compileThresholdWindow(this.id, raw, this.defaults);
    },
    plan(event, p) {
      const subject = subjectOf(event);
      return subject ? [{ kind: counting, key: subject.key, of: subject.of, member: subject.member, at: event.ts, windowMs: p.windowMs }] : NO_OPS;
    },
    detect(event, [count], p): RiskSignal[] {
      const subject = subjectOf(event);
      if (!subject || typeof count !== 'number' || count < p.threshold) return NO_SIGNALS;
      return [thresholdSignal(this, event, subject.entity, { count, countName, threshold: p.threshold, windowMs: p.windowMs }, severity)];
    },
  };
}
