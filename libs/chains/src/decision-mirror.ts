import type { EnforcementAction } from '@ratchet/contracts';
import type { EntityRef } from '@ratchet/kernel';

/**
 * The in-memory copy of the decision store that answers per-request checks without a network hop.
 * Fed by the store's push; expiry is exact because every lookup compares with `now`.
 */
export class DecisionMirror {
  private readonly byEntity = new Map<string, Map<string, EnforcementAction>>();

  /**
   * Keeps the decision unless one with the same id and a later expiry is already here; a
   * reverted one (relaxed or superseded) replaces the decision at once, whatever its expiry.
   */
  apply(action: EnforcementAction): void {
    let actions = this.byEntity.get(action.entity);
    if (!actions) {
      actions = new Map();
      this.byEntity.set(action.entity, actions);
    }
    const current = actions.get(action.id);
    if (!current || action.state === 'reverted' || current.expiresAt <= action.expiresAt) actions.set(action.id, action);
  }

  /** Every enforced (not shadow) decision in force at `now` against any of the entities: what a verdict is judged on. */
  enforcedAll(entities: readonly EntityRef[], now: number): EnforcementAction[] {
    const found: EnforcementAction[] = [];
    for (const entity of entities) {
      const actions = this.byEntity.get(entity);
      if (!actions) continue;
      for (const action of actions.values()) if (action.mode === 'enforce' && action.expiresAt > now) found.push(action);
    }
    return found;
  }

  /** How many decisions are in force at `now` (enforced only, unless `shadow` too): a count, not a list. */
  countActive(now: number, withShadow = true): number {
    let count = 0;
    for (const actions of this.byEntity.values()) for (const a of actions.values()) if (a.expiresAt > now && (withShadow || a.mode === 'enforce')) count++;
    return count;
  }

  active(now: number): EnforcementAction[] {
    const result: EnforcementAction[] = [];
    for (const actions of this.byEntity.values()) for (const a of actions.values()) if (a.expiresAt > now) result.push(a);
    return result.sort((a, b) => a.expiresAt - b.expiresAt);
  }

  /** Forgets expired decisions; call now and then to bound memory. */
  purge(now: number): number {
    let removed = 0;
    for (const [entity, actions] of this.byEntity) {
      for (const [id, a] of actions) {
        if (a.expiresAt > now) continue;
        actions.delete(id);
        removed++;
      }
      if (actions.size === 0) this.byEntity.delete(entity);
    }
    return removed;
  }
}
