import type { EnforcementAction } from '@ratchet/contracts';

/**
 * Where decisions live so every enforcer replica answers alike and a restart forgets nothing
 * (Redis in production, memory when embedded). One decision per action id: a put with an earlier
 * expiry than the stored one changes nothing, so redelivered or reordered actions are harmless;
 * a reverted action (state `reverted`, expiring when it was reverted) replaces the stored one at
 * once, which is how a relaxed or superseded action ends early.
 */
export interface DecisionStore {
  put(actions: readonly EnforcementAction[]): Promise<void>;
  /** Decisions unexpired at `now` (epoch ms). */
  active(now: number): Promise<EnforcementAction[]>;
  /** Pushes every stored decision, whichever replica stored it. Resolves once listening. */
  watch(listener: (action: EnforcementAction) => void): Promise<{ close(): Promise<void> }>;
  close(): Promise<void>;
}

export const DECISION_STORE = Symbol.for('ratchet.DecisionStore');
