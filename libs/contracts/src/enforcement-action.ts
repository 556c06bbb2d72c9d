import { parseEntityRef, type EntityRef } from '@ratchet/kernel';
import type { LogMessage } from './event-log.port';
import { HEADERS } from './topics';

/**
 * Every action a chain may take. What each one means, its parameters, the targets it renders to and
 * the RBAC it needs are described by the action catalogue (libs/chains); this list is the contract.
 */
export const ACTION_KINDS = [
  'ingress.deny',
  'ingress.rate-limit',
  'ingress.step-up',
  'mesh.deny',
  'mesh.require-mtls',
  'network.quarantine',
  'session.revoke',
  'notify',
  'cert.rotate',
] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

export function isActionKind(value: unknown): value is ActionKind {
  return typeof value === 'string' && (ACTION_KINDS as readonly string[]).includes(value);
}
export type EnforcementMode = 'enforce' | 'shadow';
export type ActionState = 'applied' | 'reverted' | 'failed';

/** An action's parameters as the chain gave them (`rps` of a rate limit, `webhook` of a notify). */
export type ActionParams = Readonly<Record<string, string | number | boolean>>;

/** Why an action exists: the chain and step that decided it, and the signal behind it. */
export interface ActionReason {
  chain: string;
  step: number;
  signalType: string;
  signalId: string;
  score: number;
}

/**
 * Why an action was not carried out (state `failed`): `cap` when a guard's cap on new or active
 * actions refused it; `policy` when the policy path could not render or apply it (a target the
 * cluster lacks, an object Ratchet does not own, an API error after retries); `webhook` when a
 * receiver of a `notify` or `session.revoke` could not be told. `detail` names the target or
 * receiver and the problem.
 */
export interface ActionFailure {
  reason: 'cap' | 'policy' | 'webhook';
  detail: string;
}

/** One decision against one entity. Idempotent: one entity, one action kind, one owner → one id. */
export interface EnforcementAction {
  v: 1;
  id: string;
  action: ActionKind;
  entity: EntityRef;
  /** Absent when the action takes none. */
  params?: ActionParams;
  reason: ActionReason;
  mode: EnforcementMode;
  state: ActionState;
  /** Present when `state` is `failed`. */
  failure?: ActionFailure;
  ttlMs: number;
  decidedAt: number;
  expiresAt: number;
}

export function actionId(action: ActionKind, entity: EntityRef): string {
  return `${action}|${entity}`;
}

/**
 * The `enforcement.actions` record of an action that could not be carried out: the action as
 * decided, `state: failed`, the failure, and its detail in the `ratchet-reason` header.
 */
export function failedActionMessage(action: EnforcementAction, failure: ActionFailure): LogMessage {
  return { key: action.entity, value: JSON.stringify({ ...action, state: 'failed', failure }), headers: { [HEADERS.reason]: failure.detail } };
}

/**
 * Checks a decision read from outside the process (a decisions file, the enforcer's API) for the
 * fields the policy renderers rely on; answers the decision, or the first problem, naming the field.
 */
export function readEnforcementAction(value: unknown): EnforcementAction | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not an object';
  const d = value as Record<string, unknown>;
  if (typeof d['id'] !== 'string' || d['id'] === '') return 'id must be a string';
  if (!isActionKind(d['action'])) return `action ${JSON.stringify(d['action'])} is not one of ${ACTION_KINDS.join(', ')}`;
  if (typeof d['entity'] !== 'string' || parseEntityRef(d['entity']) === undefined) return `entity ${JSON.stringify(d['entity'])} is not an entity reference`;
  if (d['mode'] !== 'enforce' && d['mode'] !== 'shadow') return 'mode must be enforce or shadow';
  for (const time of ['decidedAt', 'expiresAt'] as const) if (!Number.isFinite(d[time])) return `${time} must be epoch milliseconds`;
  const reason = d['reason'] as Record<string, unknown> | undefined;
  if (typeof reason?.['chain'] !== 'string' || typeof reason['step'] !== 'number') return 'reason must name the chain and step';
  const params = d['params'];
  if (params !== undefined) {
    if (typeof params !== 'object' || params === null || Array.isArray(params)) return 'params must be an object';
    for (const [name, v] of Object.entries(params)) if (!['string', 'number', 'boolean'].includes(typeof v)) return `params.${name} must be a string, number or boolean`;
  }
  return value as EnforcementAction;
}
