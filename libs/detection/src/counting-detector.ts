import type { AuthEvent, RiskSignal } from '@ratchet/contracts';
import type { EntityRef } from '@ratchet/kernel';
import { thresholdSignal, type Detector, type EventScope } from './detector';
import { compileThresholdWindow, type ThresholdWindow } from './detector-config';
import { NO_OPS, NO_SIGNALS } from './event-reading';

/** What makes a detector that counts matching events per entity in a sliding window. */
export interface CountingDetectorSpec {
  id: string;
  signalType: string;
  summary: string;
  defaults: ThresholdWindow;
  severity: number;
  /** The evidence field holding the count: `failures`, `denials`. */
  countName: string;
  /** See `Detector.reads`. */
  reads?: EventScope;
  /** The entity an event counts for, or undefined when it does not count. */
  subjectOf: (event: AuthEvent) => EntityRef | undefined;
}

/**
 * A detector counting events per entity (`window.count`, one member per event id, so a redelivery
 * counts once), firing on every event from the threshold on. Settings: `{ threshold, window }`.
 */
export function countingDetector(spec: CountingDetectorSpec): Detector<ThresholdWindow> {
  const { id, signalType, summary, defaults, severity, countName, reads, subjectOf } = spec;
  return {
    id,
    signalType,
    summary,
    defaults,
    reads,
    compile: (raw) => compileThresholdWindow(id, raw, defaults),
    plan(event, p) {
      const subject = subjectOf(event);
      if (subject === undefined) return NO_OPS;
      return [{ kind: 'window.count', key: id, of: subject, member: event.id, at: event.ts, windowMs: p.windowMs }];
    },
    detect(event, [count], p): RiskSignal[] {
      const subject = subjectOf(event);
      if (typeof count !== 'number' || count < p.threshold || subject === undefined) return NO_SIGNALS;
      return [thresholdSignal(this, event, subject, { count, countName, threshold: p.threshold, windowMs: p.windowMs }, severity)];
    },
  };
}
