import type { AuthEvent } from '@ratchet/contracts';
import { countingDetector } from '../counting-detector';
import { principalEntityOf } from '../event-reading';
import { isControlPlaneCall } from './control-plane';

/**
 * One identity refused by the Kubernetes authoriser again and again: a stolen credential mapping
 * what it may do (`kubectl auth can-i` in a loop, discovery tools), or a broken deployment. Panther's
 * `Kubernetes.API.Multiple403.PublicIP` fires on 10 refusals; CrowdSec's
 * `k8s-audit-service-account-access-denied` on one (too noisy to raise risk on). Counted per user or
 * service account (`user:` / `svc:`), not per address: a pod's address changes, its identity does not.
 */
export const k8sRbacDenialsDetector = countingDetector({
  id: 'k8s.rbac-denials',
  signalType: 'k8s_rbac_denials',
  reads: { planes: ['control'] },
  summary: 'A user or service account refused (403) by the Kubernetes API `threshold` times within `window` (defaults: 10 in 5m)',
  defaults: { threshold: 10, windowMs: 5 * 60_000 },
  severity: 0.6,
  countName: 'denials',
  subjectOf: (event) => (isForbidden(event) ? principalEntityOf(event) : undefined),
});

function isForbidden(event: AuthEvent): boolean {
  return isControlPlaneCall(event) && event.outcome === 'failure' && event.reason !== undefined && event.reason.startsWith('forbidden');
}
