import type { EntityRef } from '@ratchet/kernel';

/** Actions the enforcer can take today; the catalogue grows with the chain engine. */
export const ACTION_KINDS = ['ingress.deny'] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];
export type EnforcementMode = 'enforce' | 'shadow';
export type ActionState = 'applied' | 'reverted' | 'failed';

/** Why an action exists: the chain and step that decided it, and the signal behind it. */
export interface ActionReason {
  chain: string;
  step: number;
  signalType: string;
  signalId: string;
  score: number;
}

/** One decision against one entity. Idempotent: one entity, one action kind, one owner → one id. */
export interface EnforcementAction {
  v: 1;
  id: string;
  action: ActionKind;
  entity: EntityRef;
  reason: ActionReason;
  mode: EnforcementMode;
  state: ActionState;
  ttlMs: number;
  decidedAt: number;
  expiresAt: number;
}

export function actionId(action: ActionKind, entity: EntityRef): string {
  return `${action}|${entity}`;
}
