import { actionId, type EnforcementAction, type RiskScore } from '@ratchet/contracts';
import type { CompiledChain } from './chain';
import type { Allowlist } from './guards';

/**
 * The actions a score update calls for. Pure: `now` is when the enforcer decides, and every
 * action lasts its TTL from then, whatever the event time (a late detection still blocks for
 * the whole TTL). Allowlisted entities get nothing, whatever any chain says.
 */
export function decideActions(score: RiskScore, chains: readonly CompiledChain[], allowlist: Allowlist, now: number): EnforcementAction[] {
  if (allowlist.allows(score.entity)) return [];
  const actions = new Map<string, EnforcementAction>();
  for (const chain of chains) {
    if (!chain.signalTypes.has(score.trigger.type)) continue;
    let reached: CompiledChain['steps'][number] | undefined;
    for (const step of chain.steps) if (score.score >= step.minScore) reached = step;
    if (!reached) continue;
    for (const { action, ttlMs } of reached.then) {
      const id = actionId(action, score.entity);
      const previous = actions.get(id);
      if (previous && previous.ttlMs >= ttlMs) continue;
      actions.set(id, {
        v: 1,
        id,
        action,
        entity: score.entity,
        reason: { chain: chain.name, step: reached.index, signalType: score.trigger.type, signalId: score.trigger.id, score: score.score },
        mode: chain.mode,
        state: 'applied',
        ttlMs,
        decidedAt: now,
        expiresAt: now + ttlMs,
      });
    }
  }
  return [...actions.values()];
}
