import type { AddressScope, AuthEvent } from '@ratchet/contracts';
import { compileAddressSet } from '@ratchet/kernel';

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

/** Address scopes (set by enrichment) a pod, node, load balancer or in-cluster proxy can call from. */
const NON_PUBLIC_SCOPES: ReadonlySet<AddressScope> = new Set(['private', 'loopback', 'link-local', 'shared']);

/** The same ranges, for events enrichment did not scope: RFC 1918, CGNAT, loopback, link-local, IPv6 ULA. */
export const NON_PUBLIC_RANGES: readonly string[] = [
  '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '::1/128', 'fc00::/7', 'fe80::/10',
];
const NON_PUBLIC = compileAddressSet('NON_PUBLIC_RANGES', NON_PUBLIC_RANGES);

/** Whether the caller's address is not a public one: the scope enrichment gave, else `NON_PUBLIC_RANGES`. */
export function callsFromNonPublicAddress(client: AuthEvent['client']): boolean {
  if (client?.ip === undefined) return false;
  return client.scope !== undefined ? NON_PUBLIC_SCOPES.has(client.scope) : NON_PUBLIC.has(client.ip);
}
