import type { EnforcementAction } from '@ratchet/contracts';
import { actionSubject } from '../action-subject';
import { ownedMetadata } from '../policy-object';
import { OWNED_VERBS, type PolicySettings, type PolicyTarget, type RenderOutcome } from '../policy-target';

/**
 * Istio `AuthorizationPolicy` (security.istio.io/v1) with `action: DENY`. DENY policies are
 * evaluated before ALLOW ones, so adding one never loosens what an operator's policies allow.
 * ingress.deny is enforced at the ingress gateway; mesh.deny in the root namespace (mesh-wide).
 * Addresses match `remoteIpBlocks` (the original client, as the gateway resolved it from
 * X-Forwarded-For), users `requestPrincipals` (any issuer, `*\/<subject>`), workloads `principals`.
 */
export const istioAuthorizationPolicyTarget: PolicyTarget = {
  name: 'istio-authorization-policy',
  summary: 'Istio AuthorizationPolicy DENY by remoteIpBlocks, requestPrincipals or principals',
  actions: ['ingress.deny', 'mesh.deny'],
  api: [{ group: 'security.istio.io', version: 'v1', resources: ['authorizationpolicies'] }],
  owns: [{ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy' }],
  requiredRbac: [{ apiGroup: 'security.istio.io', resources: ['authorizationpolicies'], verbs: OWNED_VERBS }],
  render: renderIstioAuthorizationPolicy,
};

function renderIstioAuthorizationPolicy(action: EnforcementAction, settings: PolicySettings): RenderOutcome {
  if (action.action !== 'ingress.deny' && action.action !== 'mesh.deny') {
    return { refused: `istio-authorization-policy does not render ${action.action}` };
  }
  const subject = actionSubject(action);
  let source: Record<string, string[]>;
  if (subject.kind === 'ip') source = { remoteIpBlocks: [subject.address] };
  else if (subject.kind === 'user') source = { requestPrincipals: [`*/${subject.user}`] };
  else if (subject.kind === 'svc') {
    // Istio principals are SPIFFE ids without the scheme: `cluster.local/ns/shop/sa/cart`.
    if (!subject.spiffeId.startsWith('spiffe://')) return { refused: `${action.entity} is not a SPIFFE id` };
    source = { principals: [subject.spiffeId.slice('spiffe://'.length)] };
  } else return { refused: `an AuthorizationPolicy matches an address, a user or a workload; ${action.entity} is none` };

  const atIngress = action.action === 'ingress.deny';
  const namespace = atIngress ? settings.istioIngressGateway.namespace : settings.istioRootNamespace;
  const spec: Record<string, unknown> = { action: 'DENY', rules: [{ from: [{ source }] }] };
  if (atIngress) spec['selector'] = { matchLabels: { ...settings.istioIngressGateway.labels } };
  return {
    changes: [{ kind: 'owned', object: { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: ownedMetadata(action, 'istio-authorization-policy', namespace), spec } }],
  };
}
