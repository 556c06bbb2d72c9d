import { compileDetectors, planDetection, detectWithResults } from '@ratchet/detection';
import { ManualClock } from '@ratchet/kernel';
import { MemoryStateStore } from '@ratchet/platform';
import { DEFAULT_RISK_MODEL, scoreSignals } from '@ratchet/risk';
import { admittedEvents } from './detection.bench';
(async () => {
const detectors = compileDetectors({});
const events = admittedEvents(200_000, 1);
const clock = new ManualClock(events[0].ts);
const state = new MemoryStateStore(clock);
const t = { plan: 0, exec: 0, detect: 0, score: 0 }; const kinds: Record<string, number> = {}; const perDet: Record<string, number> = {};
const scoreOps: Record<string, number> = {};
const origExec = state.execute.bind(state);
let inScore = false;
(state as any).execute = async (ops: any[]) => { for (const o of ops) { const k = (inScore ? 'score:' : '') + o.kind; kinds[k] = (kinds[k] ?? 0) + 1; } return origExec(ops); };
for (let i = 0; i < events.length; i += 500) {
  const batch = events.slice(i, i + 500); clock.set(batch.at(-1)!.ts);
  let s = performance.now(); const plan = planDetection(batch, detectors); t.plan += performance.now() - s;
  if (i === 100_000) { batch.forEach(e => detectors.forEach(d => { perDet[d.id] = (perDet[d.id] ?? 0) + d.plan(e).length; })); }
  s = performance.now(); const res = await state.execute(plan.ops); t.exec += performance.now() - s;
  s = performance.now(); const sig = detectWithResults(batch, detectors, plan, res); t.detect += performance.now() - s;
  s = performance.now(); inScore = true; await scoreSignals(sig, state, DEFAULT_RISK_MODEL); inScore = false; t.score += performance.now() - s;
}
console.log(t, kinds, perDet);
})();
