import type { EnforcementAction } from '@ratchet/contracts';
import type { PolicySettings, PolicyTarget, RenderOutcome } from '../policy-target';

/**
 * Gateway API (gateway.networking.k8s.io, standard channel as of v1.6): no standard field denies
 * a client address or identity, limits a rate, or answers 401 — those live in each
 * implementation's own policy resources (NGINX, Istio, Envoy Gateway …). So this target renders
 * nothing and says so; configure the implementation's target instead.
 */
export const gatewayApiTarget: PolicyTarget = {
  name: 'gateway-api',
  summary: 'Gateway API: no standard field for any action (use the implementation’s policy target)',
  actions: [],
  api: [{ group: 'gateway.networking.k8s.io', version: 'v1', resources: [] }],
  owns: [],
  requiredRbac: [],
  render: (action: EnforcementAction, _settings: PolicySettings): RenderOutcome => ({
    refused: `Gateway API has no standard field for ${action.action}; use the gateway implementation's target (nginx-ingress-policy, istio-authorization-policy)`,
  }),
};
