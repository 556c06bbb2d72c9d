import type { AuthEvent, RiskSignal } from '@ratchet/contracts';
import type { CompiledDetector } from './detector';
import type { StateOp, StateResult, StateStore } from './state-store.port';

/**
 * The state a batch needs, with where each detector's results start: the operations of event `e`
 * and detector `d` are `ops[starts[e * D + d] .. starts[e * D + d + 1])`, D detectors. A flat
 * array of offsets rather than a pair per event and detector: a batch of 500 events through 31
 * detectors would otherwise allocate 15,500 small arrays just to say where results begin.
 */
export interface DetectionPlan {
  readonly ops: StateOp[];
  readonly starts: Uint32Array;
}

export function planDetection(events: readonly AuthEvent[], detectors: readonly CompiledDetector[]): DetectionPlan {
  const ops: StateOp[] = [];
  const starts = new Uint32Array(events.length * detectors.length + 1);
  let slot = 0;
  for (const event of events) {
    for (const detector of detectors) {
      starts[slot++] = ops.length;
      for (const op of detector.plan(event)) ops.push(op);
    }
  }
  starts[slot] = ops.length;
  return { ops, starts };
}

const NO_RESULTS: readonly StateResult[] = Object.freeze([]);

export function detectWithResults(
  events: readonly AuthEvent[],
  detectors: readonly CompiledDetector[],
  plan: DetectionPlan,
  results: readonly StateResult[],
): RiskSignal[] {
  const signals: RiskSignal[] = [];
  const { starts } = plan;
  let slot = 0;
  for (const event of events) {
    for (const detector of detectors) {
      const from = starts[slot] as number;
      const to = starts[slot + 1] as number;
      slot++;
      if (from === to && !detector.stateless) continue;
      const fired = detector.detect(event, from === to ? NO_RESULTS : results.slice(from, to));
      for (const signal of fired) signals.push(signal);
    }
  }
  return signals;
}

/** Runs every detector over a batch with one round trip to the state store. */
export async function detectBatch(
  events: readonly AuthEvent[],
  detectors: readonly CompiledDetector[],
  state: StateStore,
): Promise<RiskSignal[]> {
  const plan = planDetection(events, detectors);
  if (plan.ops.length === 0 && !detectors.some((d) => d.stateless)) return [];
  const results = plan.ops.length === 0 ? [] : await state.execute(plan.ops);
  return detectWithResults(events, detectors, plan, results);
}
