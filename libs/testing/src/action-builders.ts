import { actionId, type ActionKind, type ActionParams, type EnforcementAction, type EnforcementMode } from '@ratchet/contracts';
import type { EntityRef } from '@ratchet/kernel';

/**
 * A decision as the enforcer writes it: in force for an hour from `decidedAt`, by a chain's first
 * step. Overrides replace any field (`params`, `mode`, `expiresAt` …); the id follows kind and entity.
 */
export function enforcementAction(action: ActionKind, entity: EntityRef, overrides: Partial<EnforcementAction> = {}): EnforcementAction {
  const decidedAt = overrides.decidedAt ?? Date.parse('2026-03-14T09:26:53.000Z');
  const ttlMs = overrides.ttlMs ?? 3_600_000;
  return {
    v: 1,
    id: actionId(action, entity),
    action,
    entity,
    reason: { chain: 'compromised-workload', step: 1, signalType: 'k8s.host-path-mount', signalId: 'sig-7', score: 91 },
    mode: 'enforce',
    state: 'applied',
    ttlMs,
    decidedAt,
    expiresAt: decidedAt + ttlMs,
    ...overrides,
  };
}

export interface DecisionOptions {
  decidedAt: number;
  ttlMs: number;
  params?: ActionParams;
  mode?: EnforcementMode;
  chain?: string;
  step?: number;
}

/** A decision of the credential-attack chain, for fast-path specs that put decisions directly: `enforcementAction` with its time and origin named. */
export function decisionOf(action: ActionKind, entity: EntityRef, options: DecisionOptions): EnforcementAction {
  const { decidedAt, ttlMs, params, mode = 'enforce', chain = 'credential-attack', step = 0 } = options;
  return enforcementAction(action, entity, {
    decidedAt,
    ttlMs,
    expiresAt: decidedAt + ttlMs,
    mode,
    ...(params ? { params } : {}),
    reason: { chain, step, signalType: 'brute_force', signalId: `sig-${decidedAt}`, score: 80 },
  });
}
