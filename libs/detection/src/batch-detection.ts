import type { AuthEvent, RiskSignal } from '@ratchet/contracts';
import type { CompiledDetector } from './detector';
import { routesOf } from './event-routes';
import type { SetAddOp, StateOp, StateResult, StateStore } from './state-store.port';

/**
 * The state a batch needs and which answer goes to whom. Each event is read by the detectors its
 * plane and action route it to (`EventRoutes`), in catalogue order. Every operation a detector
 * planned has a place in `answers`, the index of the operation in `ops` that answers it: the same
 * index for a shared operation planned by several detectors for one event (see `SetAddOp.shared`),
 * otherwise its own. The planned operations of the `r`-th routed detector of an event are
 * `answers[starts[s] .. starts[s + 1])`, where `s` counts the routed detectors of the events before
 * plus `r`: flat arrays of offsets rather than a pair per event and detector, which for a batch of
 * 500 events would be thousands of small arrays.
 */
export interface DetectionPlan {
  readonly ops: StateOp[];
  readonly answers: number[];
  readonly starts: Uint32Array;
}

export function planDetection(events: readonly AuthEvent[], detectors: readonly CompiledDetector[]): DetectionPlan {
  const routes = routesOf(detectors);
  const ops: StateOp[] = [];
  const answers: number[] = [];
  const starts = new Uint32Array(events.length * detectors.length + 1);
  let slot = 0;
  for (let e = 0; e < events.length; e++) {
    const event = events[e] as AuthEvent;
    const eventStart = ops.length;
    const routed = routes.of(event);
    for (let r = 0; r < routed.length; r++) {
      starts[slot++] = answers.length;
      const planned = (detectors[routed[r] as number] as CompiledDetector).plan(event);
      for (let i = 0; i < planned.length; i++) {
        const op = planned[i] as StateOp;
        const same = op.kind === 'set.add' && op.shared === true ? sharedWith(ops, eventStart, op) : -1;
        if (same >= 0) {
          answers.push(same);
        } else {
          answers.push(ops.length);
          ops.push(op);
        }
      }
    }
  }
  starts[slot] = answers.length;
  return { ops, answers, starts };
}

/** The index of a shared operation planned earlier for the same event with the same key and member; -1 if none. */
function sharedWith(ops: readonly StateOp[], from: number, op: SetAddOp): number {
  for (let i = from; i < ops.length; i++) {
    const other = ops[i] as StateOp;
    if (other.kind === 'set.add' && other.shared === true && other.key === op.key && other.of === op.of && other.member === op.member) return i;
  }
  return -1;
}

const NO_RESULTS: readonly StateResult[] = Object.freeze([]);

export function detectWithResults(
  events: readonly AuthEvent[],
  detectors: readonly CompiledDetector[],
  plan: DetectionPlan,
  results: readonly StateResult[],
): RiskSignal[] {
  const routes = routesOf(detectors);
  const signals: RiskSignal[] = [];
  const { answers, starts } = plan;
  let slot = 0;
  for (let e = 0; e < events.length; e++) {
    const event = events[e] as AuthEvent;
    const routed = routes.of(event);
    for (let r = 0; r < routed.length; r++) {
      const detector = detectors[routed[r] as number] as CompiledDetector;
      const from = starts[slot] as number;
      const to = starts[slot + 1] as number;
      slot++;
      if (from === to && !detector.stateless) continue;
      const own = from === to ? NO_RESULTS : new Array<StateResult>(to - from);
      for (let i = from; i < to; i++) (own as StateResult[])[i - from] = results[answers[i] as number] as StateResult;
      const fired = detector.detect(event, own);
      for (let i = 0; i < fired.length; i++) signals.push(fired[i] as RiskSignal);
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
