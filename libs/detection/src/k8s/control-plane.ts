import type { AuthEvent } from '@ratchet/contracts';

/**
 * What the control-plane detectors read from a Kubernetes audit event as the `k8s-audit` parser
 * writes it: `plane: control`, `target.service` the resource and subresource (`pods/exec`),
 * `target.method` the verb, `principal.id` the username (`system:serviceaccount:<ns>:<name>` for a
 * service account, type `service`).
 */
export function isControlPlaneCall(event: AuthEvent): boolean {
  return event.plane === 'control';
}

/**
 * The control plane's own identities, which create pods, bindings and read secrets all day:
 * controllers (running as service accounts in kube-system with `--use-service-account-credentials`,
 * or as the controller manager), kubelets, the API server itself.
 */
export const CONTROL_PLANE_IDENTITIES: readonly string[] = [
  'system:kube-controller-manager',
  'system:kube-scheduler',
  'system:apiserver',
  'system:node:*',
  'system:serviceaccount:kube-system:*',
];

/** The request URI's path, without the query. */
export function requestPathOf(event: AuthEvent): string | undefined {
  const path = event.target?.path;
  if (path === undefined) return undefined;
  const query = path.indexOf('?');
  return query < 0 ? path : path.slice(0, query);
}
