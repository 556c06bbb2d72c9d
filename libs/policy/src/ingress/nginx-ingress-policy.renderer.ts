import type { EnforcementAction } from '@ratchet/contracts';
import { actionSubject } from '../action-subject';
import { objectName, ownedMetadata, type PolicyChange } from '../policy-object';
import { OWNED_VERBS, type PolicySettings, type PolicyTarget, type RenderOutcome } from '../policy-target';

const API_VERSION = 'k8s.nginx.org/v1';

/**
 * NGINX Ingress Controller `Policy` (k8s.nginx.org/v1): `accessControl.deny` for ingress.deny,
 * `rateLimit` with a condition on the entity for ingress.rate-limit, one Policy per action, plus
 * the patch that appends it to each configured VirtualServer's `spec.policies`.
 * Access control merges all referenced deny lists, so Ratchet's Policy adds to an operator's.
 */
export const nginxIngressPolicyTarget: PolicyTarget = {
  name: 'nginx-ingress-policy',
  summary: 'NGINX Ingress Controller Policy (accessControl, rateLimit) attached to VirtualServers',
  actions: ['ingress.deny', 'ingress.rate-limit'],
  api: [{ group: 'k8s.nginx.org', version: 'v1', resources: ['policies', 'virtualservers'] }],
  owns: [{ apiVersion: API_VERSION, kind: 'Policy' }],
  requiredRbac: [
    { apiGroup: 'k8s.nginx.org', resources: ['policies'], verbs: OWNED_VERBS },
    // Attach and detach only: a JSON patch that appends or removes Ratchet's own reference.
    { apiGroup: 'k8s.nginx.org', resources: ['virtualservers'], verbs: ['get', 'patch'] },
  ],
  render: renderNginxPolicy,
};

function renderNginxPolicy(action: EnforcementAction, settings: PolicySettings): RenderOutcome {
  const spec = policySpec(action);
  if ('refused' in spec) return spec;
  const metadata = ownedMetadata(action, 'nginx-ingress-policy', settings.namespace);
  const changes: PolicyChange[] = [{ kind: 'owned', object: { apiVersion: API_VERSION, kind: 'Policy', metadata, spec: spec.spec } }];
  const reference = { name: objectName(action), namespace: settings.namespace };
  for (const vs of settings.nginxVirtualServers) {
    changes.push({
      kind: 'attach',
      target: vs,
      path: '/spec/policies',
      reference,
      patch: [{ op: 'add', path: '/spec/policies/-', value: reference }],
    });
  }
  return { changes };
}

function policySpec(action: EnforcementAction): { spec: Record<string, unknown> } | { refused: string } {
  const subject = actionSubject(action);
  if (action.action === 'ingress.deny') {
    if (subject.kind !== 'ip') return { refused: `accessControl denies addresses only; ${action.entity} is not an address` };
    return { spec: { accessControl: { deny: [subject.address] } } };
  }
  if (action.action === 'ingress.rate-limit') {
    const rps = action.params?.['rps'];
    if (typeof rps !== 'number' || !Number.isInteger(rps) || rps < 1) {
      return { refused: `params.rps must be a whole number of requests per second ≥ 1, got ${JSON.stringify(rps)}` };
    }
    const base = { rate: `${rps}r/s`, zoneSize: '10M', rejectCode: 429 };
    if (subject.kind === 'ip') {
      // The condition confines the limit to this address; other clients are not limited by it.
      return { spec: { rateLimit: { ...base, key: '${binary_remote_addr}', condition: { variables: [{ name: '$remote_addr', match: subject.address }] } } } };
    }
    if (subject.kind === 'user') {
      // The CRD forbids `.`, `$`, quotes and spaces in a JWT claim match.
      if (!/^[^$\s."']+$/.test(subject.user)) {
        return { refused: `a JWT rateLimit condition cannot match "${subject.user}" (NGINX forbids ".", "$", quotes and spaces in condition.jwt.match)` };
      }
      return { spec: { rateLimit: { ...base, key: '${jwt_claim_sub}', condition: { jwt: { claim: 'sub', match: subject.user } } } } };
    }
    return { refused: `rateLimit keys on an address or a JWT subject; ${action.entity} is neither` };
  }
  return { refused: `nginx-ingress-policy does not render ${action.action}` };
}
