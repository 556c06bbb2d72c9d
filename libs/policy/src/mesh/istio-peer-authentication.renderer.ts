import type { EnforcementAction } from '@ratchet/contracts';
import { ownedMetadata } from '../policy-object';
import { OWNED_VERBS, type PolicySettings, type PolicyTarget, type RenderOutcome } from '../policy-target';
import { workloadScope } from './workload-scope';

/**
 * Istio `PeerAuthentication` (security.istio.io/v1) with `mtls.mode: STRICT` for a namespace,
 * or for some of its pods with `params.selector`. A workload-selecting policy takes precedence
 * over a namespace-wide one, so a selector makes the tightening certain; a namespace-wide one
 * competes with an existing namespace-wide policy (Istio keeps the oldest).
 */
export const istioPeerAuthenticationTarget: PolicyTarget = {
  name: 'istio-peer-authentication',
  summary: 'Istio PeerAuthentication STRICT for a namespace or workload',
  actions: ['mesh.require-mtls'],
  api: [{ group: 'security.istio.io', version: 'v1', resources: ['peerauthentications'] }],
  owns: [{ apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication' }],
  requiredRbac: [{ apiGroup: 'security.istio.io', resources: ['peerauthentications'], verbs: OWNED_VERBS }],
  render: renderPeerAuthentication,
};

function renderPeerAuthentication(action: EnforcementAction, _settings: PolicySettings): RenderOutcome {
  if (action.action !== 'mesh.require-mtls') return { refused: `istio-peer-authentication does not render ${action.action}` };
  const scope = workloadScope(action, false);
  if ('refused' in scope) return scope;
  const spec: Record<string, unknown> = { mtls: { mode: 'STRICT' } };
  if (scope.matchLabels) spec['selector'] = { matchLabels: scope.matchLabels };
  return {
    changes: [{ kind: 'owned', object: { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: ownedMetadata(action, 'istio-peer-authentication', scope.namespace), spec } }],
  };
}
