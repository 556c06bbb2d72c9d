import type { EnforcementAction } from '@ratchet/contracts';
import { ownedMetadata } from '../policy-object';
import { OWNED_VERBS, type PolicySettings, type PolicyTarget, type RenderOutcome } from '../policy-target';
import { workloadScope } from './workload-scope';

/**
 * Linkerd authorization (policy.linkerd.io/v1alpha1) for mesh.require-mtls: a
 * `MeshTLSAuthentication` accepting any mesh identity (`*`) and an `AuthorizationPolicy` that
 * requires it for every Server of the namespace. Once a Server has an authorization, clients
 * without one of its authentications are refused — plaintext clients lose access, mesh clients keep it.
 * Linkerd authorization is allow-only: it has no deny, so mesh.deny is refused here.
 */
export const linkerdAuthorizationPolicyTarget: PolicyTarget = {
  name: 'linkerd-authorization-policy',
  summary: 'Linkerd AuthorizationPolicy requiring mesh TLS for a namespace',
  actions: ['mesh.require-mtls'],
  api: [{ group: 'policy.linkerd.io', version: 'v1alpha1', resources: ['authorizationpolicies', 'meshtlsauthentications'] }],
  owns: [
    { apiVersion: 'policy.linkerd.io/v1alpha1', kind: 'AuthorizationPolicy' },
    { apiVersion: 'policy.linkerd.io/v1alpha1', kind: 'MeshTLSAuthentication' },
  ],
  requiredRbac: [{ apiGroup: 'policy.linkerd.io', resources: ['authorizationpolicies', 'meshtlsauthentications'], verbs: OWNED_VERBS }],
  render: renderLinkerdAuthorization,
};

function renderLinkerdAuthorization(action: EnforcementAction, _settings: PolicySettings): RenderOutcome {
  if (action.action === 'mesh.deny') return { refused: 'Linkerd authorization is allow-only: it cannot deny one client (use istio-authorization-policy or network-policy)' };
  if (action.action !== 'mesh.require-mtls') return { refused: `linkerd-authorization-policy does not render ${action.action}` };
  const scope = workloadScope(action, false);
  if ('refused' in scope) return scope;
  if (scope.matchLabels) return { refused: 'Linkerd authorization targets a Server, route or namespace, not pod labels: drop params.selector' };
  const metadata = ownedMetadata(action, 'linkerd-authorization-policy', scope.namespace);
  return {
    changes: [
      { kind: 'owned', object: { apiVersion: 'policy.linkerd.io/v1alpha1', kind: 'MeshTLSAuthentication', metadata, spec: { identities: ['*'] } } },
      {
        kind: 'owned',
        object: {
          apiVersion: 'policy.linkerd.io/v1alpha1',
          kind: 'AuthorizationPolicy',
          metadata,
          spec: {
            targetRef: { group: '', kind: 'Namespace', name: scope.namespace },
            requiredAuthenticationRefs: [{ group: 'policy.linkerd.io', kind: 'MeshTLSAuthentication', name: metadata.name }],
          },
        },
      },
    ],
  };
}
