import { actionId, type ActionKind, type EnforcementAction } from '@ratchet/contracts';
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
