import { actionId, type ActionKind, type ActionParams, type EnforcementAction, type EnforcementMode } from '@ratchet/contracts';
import type { EntityRef } from '@ratchet/kernel';

export interface DecisionOptions {
  decidedAt: number;
  ttlMs: number;
  params?: ActionParams;
  mode?: EnforcementMode;
  chain?: string;
  step?: number;
}

/** A decision as the chain engine stores it, of any kind, for fast-path specs that put decisions directly. */
export function decisionOf(action: ActionKind, entity: EntityRef, options: DecisionOptions): EnforcementAction {
  const { decidedAt, ttlMs, params, mode = 'enforce', chain = 'credential-attack', step = 0 } = options;
  return {
    v: 1,
    id: actionId(action, entity),
    action,
    entity,
    ...(params ? { params } : {}),
    reason: { chain, step, signalType: 'brute_force', signalId: `sig-${decidedAt}`, score: 80 },
    mode,
    state: 'applied',
    ttlMs,
    decidedAt,
    expiresAt: decidedAt + ttlMs,
  };
}
