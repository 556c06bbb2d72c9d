import type { AuthEvent, RiskScore, RiskSignal } from '@ratchet/contracts';
import type { RecordMergeOp, StateStore } from '@ratchet/detection';
import type { EntityRef } from '@ratchet/kernel';
import { planRiskUpdate, scoreEntity, type RiskModel } from './risk-model';
import { addLinkedRisk, linkedAddressOf, planLinkRead } from './risk-propagation';

/**
 * Updates and scores every entity a batch of signals touches, in one state round trip. With the
 * batch's `events`, a signal on a user also reads the risk of the address its event came from
 * (risk propagation, see risk-propagation.ts) in that same round trip.
 */
export async function scoreSignals(signals: readonly RiskSignal[], state: StateStore, model: RiskModel, events: readonly AuthEvent[] = []): Promise<RiskScore[]> {
  if (signals.length === 0) return [];
  const eventsById = new Map(events.map((e) => [e.id, e]));
  const links = signals.map((s) => linkedAddressOf(s, eventsById, model));
  const ops: RecordMergeOp[] = [];
  const offsets: number[] = [];
  signals.forEach((signal, i) => {
    offsets.push(ops.length);
    ops.push(planRiskUpdate(signal, model));
    const link = links[i];
    if (link) ops.push(planLinkRead(link, model));
  });
  const records = (await state.execute(ops)) as ReadonlyArray<Readonly<Record<string, string>>>;
  return signals.map((signal, i) => {
    const at = offsets[i] as number;
    const own = scoreEntity(signal.entity, records[at] ?? {}, signal, model);
    const link: EntityRef | undefined = links[i];
    return link ? addLinkedRisk(own, link, records[at + 1] ?? {}, model) : own;
  });
}

/**
 * Under attack a detector fires on every event past its threshold; within one batch only the
 * latest firing per detector and entity is kept (it carries the highest count), and that is what
 * the scorer scores and publishes.
 */
export function latestPerDetectorAndEntity(signals: readonly RiskSignal[]): RiskSignal[] {
  const latest = new Map<string, RiskSignal>();
  for (const signal of signals) latest.set(`${signal.detector}|${signal.entity}`, signal);
  return [...latest.values()];
}
