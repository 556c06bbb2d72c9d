import type { AuthEvent, RiskContribution, RiskScore, RiskSignal } from '@ratchet/contracts';
import type { RecordMergeOp } from '@ratchet/detection';
import { entityRef, type EntityRef } from '@ratchet/kernel';
import { levelOf, riskRecord, scoreEntity, type RiskModel } from './risk-model';

/** The contribution type under which a user carries a share of an address's risk. */
export const LINKED_ADDRESS = 'linked:ip';

/**
 * "A user who logs in from a high-risk address inherits part of its risk." When a signal lands on
 * `user:x` and the event behind it came from address y, the user's score adds
 * `model.propagation.fromAddress` × the address's current score (decayed to the signal's time),
 * as one contribution of type `linked:ip` naming the address. The share is read, never stored:
 * it fades as the address's own risk fades and vanishes when the address is cleared. One hop
 * only (an address does not inherit from its users), so scores cannot feed each other.
 */
export function linkedAddressOf(signal: RiskSignal, eventsById: ReadonlyMap<string, AuthEvent>, model: RiskModel): EntityRef | undefined {
  if (!model.propagation || model.propagation.fromAddress <= 0 || !signal.entity.startsWith('user:')) return undefined;
  // Admission wrote the address in its canonical spelling.
  const ip = eventsById.get(signal.eventIds[0] ?? '')?.client?.ip;
  return ip === undefined ? undefined : entityRef('ip', ip);
}

/**
 * Reads the address's risk record in the same round trip as the user's update. A merge of no
 * fields answers the record as it is (and refreshes its retention: an address users still log in
 * from is remembered as long as its own signals would be).
 */
export function planLinkRead(linked: EntityRef, model: RiskModel): RecordMergeOp {
  return { kind: 'record.merge', ...riskRecord(linked), fields: {}, retainMs: model.retainMs };
}

/** The user's score with the address's share added; unchanged when the address has no risk. */
export function addLinkedRisk(score: RiskScore, linked: EntityRef, record: Readonly<Record<string, string>>, model: RiskModel): RiskScore {
  const source = scoreEntity(linked, record, score.trigger, model);
  const strongest = source.contributions[0];
  const share = model.propagation?.fromAddress ?? 0;
  const current = Math.round(source.score * share * 100) / 100;
  if (!strongest || current <= 0) return score;
  const contribution: RiskContribution = {
    type: LINKED_ADDRESS,
    detector: strongest.detector,
    signalId: strongest.signalId,
    weight: current,
    current,
    at: score.at,
    linked,
  };
  const contributions = [...score.contributions, contribution].sort((a, b) => b.current - a.current);
  const total = Math.min(100, Math.round((score.score + current) * 100) / 100);
  return { ...score, score: total, level: levelOf(total, model), contributions };
}
