import type { ActionKind, EnforcementAction } from '@ratchet/contracts';
import type { ObjectRef, PolicyChange, RbacRule } from './policy-object';

export const POLICY_TARGET_NAMES = [
  'nginx-ingress-policy',
  'istio-authorization-policy',
  'istio-peer-authentication',
  'linkerd-authorization-policy',
  'network-policy',
  'gateway-api',
  'cert-manager',
] as const;
export type PolicyTargetName = (typeof POLICY_TARGET_NAMES)[number];

/** Where the rendered objects go. Every field has a default (`DEFAULT_POLICY_SETTINGS`). */
export interface PolicySettings {
  /** Namespace of objects not tied to a workload (NGINX `Policy`). Default `ratchet`. */
  namespace: string;
  /** VirtualServers an NGINX `Policy` is attached to. Default none: the Policy exists, unattached. */
  nginxVirtualServers: readonly ObjectRef[];
  /** Istio's root namespace: an `AuthorizationPolicy` there without a selector applies mesh-wide. Default `istio-system`. */
  istioRootNamespace: string;
  /** The Istio ingress gateway ingress actions are enforced at. Default `istio-system`, `istio: ingressgateway`. */
  istioIngressGateway: { namespace: string; labels: Readonly<Record<string, string>> };
}

export const DEFAULT_POLICY_SETTINGS: PolicySettings = {
  namespace: 'ratchet',
  nginxVirtualServers: [],
  istioRootNamespace: 'istio-system',
  istioIngressGateway: { namespace: 'istio-system', labels: { istio: 'ingressgateway' } },
};

/** A renderer's answer: the changes, or why this action cannot be expressed on this target. */
export type RenderOutcome = { changes: PolicyChange[] } | { refused: string };

/** An API group/version a target's objects live in; the applier checks the cluster serves it. */
export interface ServedApi {
  group: string;
  version: string;
  /** Resource plural, as in the API path. */
  resources: readonly string[];
}

/**
 * One place policy can be enforced. Describes itself: the actions it renders, the API it needs
 * in the cluster and the RBAC the enforcer needs for it. `render` is pure.
 */
export interface PolicyTarget {
  readonly name: PolicyTargetName;
  readonly summary: string;
  readonly actions: readonly ActionKind[];
  readonly api: readonly ServedApi[];
  /** Kinds this target creates and labels, which the applier lists to find what to delete. */
  readonly owns: readonly { apiVersion: string; kind: string }[];
  readonly requiredRbac: readonly RbacRule[];
  render(action: EnforcementAction, settings: PolicySettings): RenderOutcome;
}

/** Verbs the applier uses on an object it owns: read to check ownership, list to reconcile, apply, delete at expiry. */
export const OWNED_VERBS = ['create', 'delete', 'get', 'list', 'patch'] as const;
