import type { ActionKind, ActionParams } from '@ratchet/contracts';
import { POLICY_TARGETS, requiredRbac, type PolicyTargetName, type RbacRule } from '@ratchet/policy';

/**
 * Where an action materialises without a Kubernetes object: the decision answered by `/authz`
 * (NGINX `auth_request`) and Envoy `ext_authz`, or a call out (`webhook`). The Kubernetes targets
 * are `@ratchet/policy`'s (`POLICY_TARGETS`), and so is the RBAC they need: the catalogue reads
 * both from there, so what it says an action needs is what the renderers and the enforcer's
 * ClusterRole hold.
 */
export const SERVICE_TARGETS = ['authz', 'ext_authz', 'webhook'] as const;
export type RenderTarget = (typeof SERVICE_TARGETS)[number] | PolicyTargetName;
export type { RbacRule };

/** One parameter an action takes, besides `action` and `ttl`. */
export interface ActionParam {
  type: 'number' | 'string' | 'boolean';
  summary: string;
  required: boolean;
  /** Numbers only: inclusive bounds. */
  min?: number;
  max?: number;
  /** Strings only: the values allowed. */
  oneOf?: readonly string[];
}

/**
 * An action that describes itself, so operators, the chain compiler and the policy renderers all
 * read one source: what it does, its parameters, where it renders, the RBAC it needs.
 */
export interface ActionDescription {
  id: ActionKind;
  summary: string;
  /** Entity kinds it makes sense against (`ip`, `user`, `svc`, `token`, …); informational. */
  entities: readonly string[];
  params: Readonly<Record<string, ActionParam>>;
  /**
   * Whether `/authz` and `ext_authz` refuse the entity's requests (403) while the action is in
   * force (the verdict reads it). False for actions answered otherwise (a step-up's 401, a rate
   * limit's 429), for those carried out elsewhere (policy objects, webhooks) and for those that
   * change no traffic.
   */
  denies: boolean;
  /** Its service targets, then every policy target that renders it. */
  targets: readonly RenderTarget[];
  /** What Ratchet's service account needs to render and remove it: the union of its policy targets' rules; none for the fast path alone. */
  requiredRbac: readonly RbacRule[];
  /** A step's `then` entry using it, as a chain file writes it. */
  example: Readonly<Record<string, string | number | boolean>>;
}


/** What an action says of itself; its Kubernetes targets and RBAC come from the policy targets. */
type OwnDescription = Omit<ActionDescription, 'targets' | 'requiredRbac'> & { services: ReadonlyArray<(typeof SERVICE_TARGETS)[number]> };

const DESCRIPTIONS: readonly OwnDescription[] = [
  {
    id: 'ingress.deny',
    summary: 'Refuse every request from the entity at the ingress for the TTL (403 from /authz, a deny Policy)',
    entities: ['ip', 'user', 'token'],
    denies: true,
    params: {},
    services: ['authz', 'ext_authz'],
    example: { action: 'ingress.deny', ttl: '15m' },
  },
  {
    id: 'ingress.rate-limit',
    summary: 'Limit the entity to `rps` requests per second at the ingress for the TTL',
    entities: ['ip', 'user', 'token'],
    denies: false,
    params: {
      rps: { type: 'number', summary: 'Requests per second allowed', required: true, min: 0.01, max: 10_000 },
      burst: { type: 'number', summary: 'Requests allowed above the rate in a burst (default: rps)', required: false, min: 0, max: 100_000 },
    },
    services: ['authz', 'ext_authz'],
    example: { action: 'ingress.rate-limit', rps: 1, ttl: '30m' },
  },
  {
    id: 'ingress.step-up',
    summary: 'Require a stronger authentication (MFA) from the entity for the TTL: /authz answers 401 with a step-up hint',
    entities: ['ip', 'user', 'token'],
    denies: false,
    params: {
      acr: { type: 'string', summary: 'Authentication context class the IdP must assert (default: mfa)', required: false },
    },
    services: ['authz', 'ext_authz'],
    example: { action: 'ingress.step-up', ttl: '15m' },
  },
  {
    id: 'mesh.deny',
    summary: 'Refuse the entity’s calls inside the mesh for the TTL (a DENY AuthorizationPolicy)',
    entities: ['ip', 'svc'],
    denies: true,
    params: {},
    services: ['ext_authz'],
    example: { action: 'mesh.deny', ttl: '1h' },
  },
  {
    id: 'mesh.require-mtls',
    summary: 'Refuse plain-text calls from or to the entity’s workload for the TTL (STRICT PeerAuthentication)',
    entities: ['svc', 'ip'],
    denies: false,
    params: {
      namespace: { type: 'string', summary: 'Namespace of the workload (default: the one its SPIFFE id names)', required: false },
      selector: { type: 'string', summary: 'Pod labels, `app=cart,tier=web` (default: the whole namespace)', required: false },
    },
    services: [],
    example: { action: 'mesh.require-mtls', ttl: '1h' },
  },
  {
    id: 'network.quarantine',
    summary: 'Cut the workload’s network to everything but DNS and the namespaces listed for the TTL (label + NetworkPolicy)',
    entities: ['svc', 'ip'],
    denies: true,
    params: {
      namespace: { type: 'string', summary: 'Namespace of the workload (default: the one its SPIFFE id names)', required: false },
      selector: { type: 'string', summary: 'Pod labels, `app=cart,tier=web` — the network-policy target needs them: a NetworkPolicy cannot select pods by service account', required: false },
    },
    services: ['authz', 'ext_authz'],
    example: { action: 'network.quarantine', selector: 'app=cart', ttl: '1h' },
  },
  {
    id: 'session.revoke',
    summary: 'End the entity’s sessions and tokens at the identity provider (signed webhook, or a CAEP session-revoked event), forcing a new login',
    entities: ['user', 'token'],
    denies: false,
    params: {},
    services: ['webhook'],
    example: { action: 'session.revoke', ttl: '1h' },
  },
  {
    id: 'notify',
    summary: 'Tell people: post the action and its reason to a webhook; changes no traffic',
    entities: ['ip', 'user', 'svc', 'token'],
    denies: false,
    params: {
      channel: { type: 'string', summary: 'Name of the notification channel configured on the enforcer (default: default)', required: false },
      severity: { type: 'string', summary: 'How loud (default: warning)', required: false, oneOf: ['info', 'warning', 'critical'] },
    },
    services: ['webhook'],
    example: { action: 'notify', severity: 'critical', ttl: '1h' },
  },
  {
    id: 'cert.rotate',
    summary: 'Reissue the workload’s certificate now (cert-manager renewal), ending a stolen one early',
    entities: ['svc'],
    denies: false,
    params: {
      certificate: { type: 'string', summary: 'The cert-manager Certificate to reissue, `<namespace>/<name>`', required: true },
    },
    services: [],
    example: { action: 'cert.rotate', certificate: 'shop/cart-tls', ttl: '5m' },
  },
];

/** Every action, one entry per id of ACTION_KINDS (a spec checks both lists agree). */
export const ACTION_CATALOGUE: readonly ActionDescription[] = DESCRIPTIONS.map(({ services, ...own }) => {
  const rendering = POLICY_TARGETS.filter((t) => t.actions.includes(own.id));
  return { ...own, targets: [...services, ...rendering.map((t) => t.name)], requiredRbac: requiredRbac(rendering) };
});

export function describeAction(kind: ActionKind): ActionDescription {
  const found = ACTION_CATALOGUE.find((a) => a.id === kind);
  // ACTION_CATALOGUE covers ACTION_KINDS (checked by a spec); reaching this is a programming error.
  if (!found) throw new Error(`action ${kind} is missing from ACTION_CATALOGUE`);
  return found;
}


/**
 * An action's parameters checked against its description: unknown names, missing required ones,
 * wrong types and out-of-range values are refused with the problem (the caller adds where).
 * Returns the parameters, or undefined when the action has none.
 */
export function compileActionParams(kind: ActionKind, raw: Readonly<Record<string, unknown>>): { params?: ActionParams; problem?: { field: string; message: string } } {
  const description = describeAction(kind);
  const params: Record<string, string | number | boolean> = {};
  for (const [name, value] of Object.entries(raw)) {
    const param = description.params[name];
    if (!param) {
      const known = Object.keys(description.params);
      return { problem: { field: name, message: `is not a parameter of ${kind} (${known.length > 0 ? `known: ${known.join(', ')}` : 'it takes none'})` } };
    }
    if (typeof value !== param.type) return { problem: { field: name, message: `must be a ${param.type}` } };
    if (typeof value === 'number' && (!Number.isFinite(value) || (param.min !== undefined && value < param.min) || (param.max !== undefined && value > param.max))) {
      return { problem: { field: name, message: `must be a number from ${param.min ?? '-∞'} to ${param.max ?? '∞'}` } };
    }
    if (typeof value === 'string' && param.oneOf && !param.oneOf.includes(value)) {
      return { problem: { field: name, message: `must be one of ${param.oneOf.join(', ')}` } };
    }
    params[name] = value as string | number | boolean;
  }
  for (const [name, param] of Object.entries(description.params)) {
    if (param.required && !(name in params)) return { problem: { field: name, message: `is required by ${kind}: ${param.summary}` } };
  }
  return Object.keys(params).length > 0 ? { params } : {};
}
