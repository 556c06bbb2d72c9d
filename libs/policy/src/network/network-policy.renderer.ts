import type { EnforcementAction } from '@ratchet/contracts';
import { workloadScope } from '../mesh/workload-scope';
import { ownedMetadata } from '../policy-object';
import { OWNED_VERBS, type PolicySettings, type PolicyTarget, type RenderOutcome } from '../policy-target';

/**
 * Kubernetes `NetworkPolicy` (networking.k8s.io/v1) quarantine: selects the pods and declares
 * both directions with no rule, so nothing is allowed by *this* policy. NetworkPolicies add up:
 * traffic another policy allows to the same pods stays allowed — the quarantine is complete only
 * where the namespace's own policies do not allow that pod's traffic (docs/policy.md).
 */
export const networkPolicyTarget: PolicyTarget = {
  name: 'network-policy',
  summary: 'Kubernetes NetworkPolicy isolating the selected pods (ingress and egress)',
  actions: ['network.quarantine'],
  api: [{ group: 'networking.k8s.io', version: 'v1', resources: ['networkpolicies'] }],
  owns: [{ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' }],
  requiredRbac: [{ apiGroup: 'networking.k8s.io', resources: ['networkpolicies'], verbs: OWNED_VERBS }],
  render: renderQuarantine,
};

function renderQuarantine(action: EnforcementAction, _settings: PolicySettings): RenderOutcome {
  if (action.action !== 'network.quarantine') return { refused: `network-policy does not render ${action.action}` };
  const scope = workloadScope(action, true);
  if ('refused' in scope) return scope;
  return {
    changes: [
      {
        kind: 'owned',
        object: {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'NetworkPolicy',
          metadata: ownedMetadata(action, 'network-policy', scope.namespace),
          spec: { podSelector: { matchLabels: scope.matchLabels }, policyTypes: ['Ingress', 'Egress'] },
        },
      },
    ],
  };
}
