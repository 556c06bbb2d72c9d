import type { AuthEvent, RiskSignal } from '@ratchet/contracts';
import type { CompiledDetector } from './detector';
import type { StateOp, StateResult, StateStore } from './state-store.port';

/** The state a batch needs, with where each detector's results start. */
export interface DetectionPlan {
  readonly ops: StateOp[];
  /** Per event, per detector: [offset, count] into `ops`. */
  readonly slices: Array<Array<[number, number]>>;
}

export function planDetection(events: readonly AuthEvent[], detectors: readonly CompiledDetector[]): DetectionPlan {
  const ops: StateOp[] = [];
  const slices: Array<Array<[number, number]>> = [];
  for (const event of events) {
    const perDetector: Array<[number, number]> = [];
    for (const detector of detectors) {
      const planned = detector.plan(event);
      perDetector.push([ops.length, planned.length]);
      for (const op of planned) ops.push(op);
    }
    slices.push(perDetector);
  }
  return { ops, slices };
}

export function detectWithResults(
  events: readonly AuthEvent[],
  detectors: readonly CompiledDetector[],
  plan: DetectionPlan,
  results: readonly StateResult[],
): RiskSignal[] {
  const signals: RiskSignal[] = [];
  events.forEach((event, e) => {
    const perDetector = plan.slices[e] ?? [];
    detectors.forEach((detector, d) => {
      const [offset, count] = perDetector[d] ?? [0, 0];
      if (count === 0 && !detector.stateless) return;
      for (const signal of detector.detect(event, results.slice(offset, offset + count))) signals.push(signal);
    });
  });
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
