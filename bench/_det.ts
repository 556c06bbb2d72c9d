import { compileDetectors, planDetection, detectWithResults } from '@ratchet/detection';
import { ManualClock } from '@ratchet/kernel';
import { MemoryStateStore } from '@ratchet/platform';
import { admittedEvents } from './detection.bench';
(async () => {
const detectors = compileDetectors({});
const events = admittedEvents(100_000, 1);
const tp: Record<string, number> = {}; const td: Record<string, number> = {};
const clock = new ManualClock(events[0]!.ts); const state = new MemoryStateStore(clock);
for (let i = 0; i < events.length; i += 500) {
  const batch = events.slice(i, i + 500); clock.set(batch.at(-1)!.ts);
  for (const d of detectors) {
    let s = performance.now(); const plans = batch.map((e) => d.plan(e)); tp[d.id] = (tp[d.id] ?? 0) + performance.now() - s;
    const res = await state.execute(plans.flat());
    let k = 0; s = performance.now();
    batch.forEach((e, j) => { const n = plans[j]!.length; if (n || d.stateless) d.detect(e, res.slice(k, k + n)); k += n; });
    td[d.id] = (td[d.id] ?? 0) + performance.now() - s;
  }
}
for (const d of detectors) console.log(d.id.padEnd(30), tp[d.id]!.toFixed(0).padStart(6), td[d.id]!.toFixed(0).padStart(6));
})();
