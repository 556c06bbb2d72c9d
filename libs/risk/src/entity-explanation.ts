import type { RiskContribution, RiskSignal } from '@ratchet/contracts';
import { formatDuration } from '@ratchet/kernel';
import type { EntityRisk } from './risk-model';

/** A contribution with the signal behind it, when that signal is still kept. */
export interface ExplainedContribution extends RiskContribution {
  /** The signal's evidence (counts, thresholds, windows, feeds); absent once the signal is forgotten. */
  evidence?: RiskSignal['evidence'];
  /** The events that made it fire; absent once the signal is forgotten. */
  eventIds?: readonly string[];
}

export interface EntityExplanation {
  risk: EntityRisk;
  contributions: ExplainedContribution[];
  /** For people: the score, the level, and one sentence per contribution, strongest first. */
  summary: string;
}

/**
 * Why an entity has the risk it has: each contribution joined to the signal that set it (found
 * among `signals` by id), and a summary that names the signal types, detectors, evidence and
 * events. Pure: `risk` is already decayed to the moment of the question.
 */
export function explainEntity(risk: EntityRisk, signals: readonly RiskSignal[]): EntityExplanation {
  const byId = new Map(signals.map((s) => [s.id, s]));
  const contributions = risk.contributions.map((c): ExplainedContribution => {
    const signal = byId.get(c.signalId);
    return signal ? { ...c, evidence: signal.evidence, eventIds: signal.eventIds } : { ...c };
  });
  const head = `${risk.entity} has risk ${risk.score} of 100 (${risk.level}) at ${new Date(risk.at).toISOString()}`;
  if (contributions.length === 0) return { risk, contributions, summary: `${head}: no signal contributes.` };
  return { risk, contributions, summary: `${head}. ${contributions.map(describeContribution).join(' ')}` };
}

function describeContribution(c: ExplainedContribution): string {
  const evidence = c.evidence ? ` (${describeEvidence(c.evidence)})` : '';
  const events = c.eventIds && c.eventIds.length > 0 ? ` on event${c.eventIds.length > 1 ? 's' : ''} ${c.eventIds.join(', ')}` : '';
  return `${c.type} from ${c.detector} at ${new Date(c.at).toISOString()}${events}${evidence} added ${c.weight}, ${c.current} now.`;
}

/** `failures 20, threshold 20, window 5m`: a `…Ms` field is written as a duration. */
function describeEvidence(evidence: RiskSignal['evidence']): string {
  return Object.entries(evidence)
    .map(([key, value]) => (typeof value === 'number' && key.endsWith('Ms') ? `${key.slice(0, -2)} ${formatDuration(value)}` : `${key} ${String(value)}`))
    .join(', ');
}
