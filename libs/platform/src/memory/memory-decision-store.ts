import type { EnforcementAction } from '@ratchet/contracts';
import type { DecisionStore } from '@ratchet/chains';

/** Decisions in one process: same contract as the Redis store, including push to watchers. */
export class MemoryDecisionStore implements DecisionStore {
  private readonly decisions = new Map<string, EnforcementAction>();
  private readonly listeners = new Set<(action: EnforcementAction) => void>();

  async put(actions: readonly EnforcementAction[]): Promise<void> {
    for (const action of actions) {
      const current = this.decisions.get(action.id);
      if (current && action.state !== 'reverted' && current.expiresAt > action.expiresAt) continue;
      this.decisions.set(action.id, action);
      for (const listener of this.listeners) listener(action);
    }
  }

  async active(now: number): Promise<EnforcementAction[]> {
    const result: EnforcementAction[] = [];
    for (const [id, action] of this.decisions) {
      if (action.expiresAt > now) result.push(action);
      else this.decisions.delete(id);
    }
    return result;
  }

  async watch(listener: (action: EnforcementAction) => void): Promise<{ close(): Promise<void> }> {
    this.listeners.add(listener);
    return { close: async () => void this.listeners.delete(listener) };
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}
