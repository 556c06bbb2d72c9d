import { AppError } from '@ratchet/kernel';
import type { ActionKind, EnforcementAction } from '@ratchet/contracts';
import { certManagerTarget } from './certs/cert-manager.renderer';
import { gatewayApiTarget } from './gateway/gateway-api.renderer';
import { nginxIngressPolicyTarget } from './ingress/nginx-ingress-policy.renderer';
import { istioAuthorizationPolicyTarget } from './mesh/istio-authorization-policy.renderer';
import { istioPeerAuthenticationTarget } from './mesh/istio-peer-authentication.renderer';
import { linkerdAuthorizationPolicyTarget } from './mesh/linkerd-authorization-policy.renderer';
import { networkPolicyTarget } from './network/network-policy.renderer';
import type { PolicyChange, RbacRule } from './policy-object';
import { POLICY_TARGET_NAMES, type PolicySettings, type PolicyTarget, type PolicyTargetName } from './policy-target';

/** Every target, by name. A plain array: the registry is this list. */
export const POLICY_TARGETS: readonly PolicyTarget[] = [
  nginxIngressPolicyTarget,
  istioAuthorizationPolicyTarget,
  istioPeerAuthenticationTarget,
  linkerdAuthorizationPolicyTarget,
  networkPolicyTarget,
  gatewayApiTarget,
  certManagerTarget,
];

export class InvalidPolicyTargets extends AppError {
  constructor(message: string) {
    super('POLICY.INVALID_TARGETS', message);
  }
}

/**
 * Reads a comma-separated list of target names (`RATCHET_POLICY_TARGETS`) once. Refuses an
 * unknown name, a repeated one, and `gateway-api`, which can render nothing (say which to use).
 */
export function compilePolicyTargets(raw: string | readonly string[], variable = 'RATCHET_POLICY_TARGETS'): PolicyTarget[] {
  const names = (typeof raw === 'string' ? raw.split(',') : raw).map((n) => n.trim()).filter((n) => n !== '');
  const targets: PolicyTarget[] = [];
  for (const name of names) {
    const target = POLICY_TARGETS.find((t) => t.name === name);
    if (target === undefined) throw new InvalidPolicyTargets(`${variable}: "${name}" is not a policy target (one of ${POLICY_TARGET_NAMES.join(', ')})`);
    if (targets.includes(target)) throw new InvalidPolicyTargets(`${variable}: "${name}" is listed twice`);
    if (target.actions.length === 0) throw new InvalidPolicyTargets(`${variable}: "${name}" renders no action — ${target.summary}`);
    targets.push(target);
  }
  return targets;
}

/** One change, with the target and action it came from. */
export interface RenderedChange {
  target: PolicyTargetName;
  actionId: string;
  change: PolicyChange;
}

/** An action (or an action on one target) that was not rendered, and why. */
export interface RenderRefusal {
  actionId: string;
  target?: PolicyTargetName;
  reason: string;
}

export interface RenderedPolicy {
  changes: RenderedChange[];
  refused: RenderRefusal[];
}

/**
 * Renders decisions on the configured targets. Shadow decisions are refused (they are recorded,
 * never enforced); an action no configured target renders is refused with the targets that would.
 * Pure: which decisions are active is the caller's question.
 */
export function renderPolicy(actions: readonly EnforcementAction[], targets: readonly PolicyTarget[], settings: PolicySettings): RenderedPolicy {
  const rendered: RenderedPolicy = { changes: [], refused: [] };
  for (const action of actions) {
    if (action.mode === 'shadow') {
      rendered.refused.push({ actionId: action.id, reason: 'shadow mode: recorded, not enforced' });
      continue;
    }
    const willing = targets.filter((t) => t.actions.includes(action.action));
    if (willing.length === 0) {
      rendered.refused.push({ actionId: action.id, reason: noTargetReason(action.action) });
      continue;
    }
    for (const target of willing) {
      const outcome = target.render(action, settings);
      if ('refused' in outcome) rendered.refused.push({ actionId: action.id, target: target.name, reason: outcome.refused });
      else for (const change of outcome.changes) rendered.changes.push({ target: target.name, actionId: action.id, change });
    }
  }
  return rendered;
}

function noTargetReason(kind: ActionKind): string {
  const able = POLICY_TARGETS.filter((t) => t.actions.includes(kind)).map((t) => t.name);
  return able.length === 0
    ? `${kind} is not a Kubernetes policy (the enforcer carries it out itself)`
    : `no configured target renders ${kind} (${able.join(', ')} would)`;
}

/**
 * The union of the targets' RBAC, one rule per API group and verb set, resources sorted: the
 * rules `k8s/` grants the enforcer (a test keeps the two equal).
 */
export function requiredRbac(targets: readonly PolicyTarget[]): RbacRule[] {
  const verbsByResource = new Map<string, Set<string>>();
  for (const rule of targets.flatMap((t) => t.requiredRbac)) {
    for (const resource of rule.resources) {
      const key = `${rule.apiGroup}\u0000${resource}`;
      const verbs = verbsByResource.get(key) ?? new Set<string>();
      for (const verb of rule.verbs) verbs.add(verb);
      verbsByResource.set(key, verbs);
    }
  }
  const byGroupAndVerbs = new Map<string, RbacRule & { resources: string[] }>();
  for (const [key, verbs] of verbsByResource) {
    const [apiGroup, resource] = key.split('\u0000') as [string, string];
    const sorted = [...verbs].sort();
    const id = `${apiGroup}\u0000${sorted.join(',')}`;
    const rule = byGroupAndVerbs.get(id) ?? { apiGroup, resources: [], verbs: sorted };
    rule.resources.push(resource);
    byGroupAndVerbs.set(id, rule);
  }
  return [...byGroupAndVerbs.values()]
    .map((r) => ({ ...r, resources: [...r.resources].sort() }))
    .sort((a, b) => a.apiGroup.localeCompare(b.apiGroup) || a.resources.join().localeCompare(b.resources.join()));
}
