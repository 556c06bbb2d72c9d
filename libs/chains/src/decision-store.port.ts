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
  /**
   * Decisions unexpired at `now` (epoch ms). A stored record that is not a decision (written by
   * hand, or by a version that no longer agrees) is left out and handed to `unreadable` when one is
   * given; without it, reading fails naming the record.
   */
  active(now: number, unreadable?: (record: UnreadableDecision) => void): Promise<EnforcementAction[]>;
  /**
   * Pushes every stored decision, whichever replica stored it, and hands a pushed record that is
   * not a decision to `unreadable`. Resolves once listening.
   */
  watch(listener: (action: EnforcementAction) => void, unreadable?: (record: UnreadableDecision) => void): Promise<{ close(): Promise<void> }>;
  close(): Promise<void>;
}

/** A stored or pushed record that could not be read as a decision: its id where it has one, and what is wrong with it. */
export interface UnreadableDecision {
  id: string | undefined;
  problem: string;
}

export const DECISION_STORE = Symbol.for('ratchet.DecisionStore');
