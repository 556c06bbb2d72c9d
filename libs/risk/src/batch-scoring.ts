import type { RiskScore, RiskSignal } from '@ratchet/contracts';
import type { StateStore } from '@ratchet/detection';
import { planRiskUpdate, scoreEntity, type RiskModel } from './risk-model';

/** Updates and scores every entity a batch of signals touches, in one state round trip. */
export async function scoreSignals(signals: readonly RiskSignal[], state: StateStore, model: RiskModel): Promise<RiskScore[]> {
  if (signals.length === 0) return [];
  const records = await state.execute(signals.map((s) => planRiskUpdate(s, model)));
  return signals.map((signal, i) => scoreEntity(signal.entity, records[i] as Readonly<Record<string, string>>, signal, model));
}
