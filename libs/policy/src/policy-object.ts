import { createHash } from 'node:crypto';
import type { EnforcementAction } from '@ratchet/contracts';

/** The metadata Ratchet writes: enough for the applier to find, own and expire what it made. */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A Kubernetes object as sent to the API server (the fields the renderers set). */
export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

/** Names an object: `apiVersion` + `kind` pick the resource, `namespace` + `name` the object. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}

/** One RFC 6902 operation. */
export interface JsonPatchOperation {
  op: 'add' | 'remove' | 'test';
  path: string;
  value?: unknown;
}

/**
 * What one action asks of the cluster on one target.
 * - `owned`: an object Ratchet creates (server-side apply), labels, and deletes when the action expires.
 * - `attach`: a reference appended to a list of an object Ratchet does not own (an NGINX
 *   VirtualServer's `spec.policies`); only ever added and, at expiry, removed — the rest of the
 *   list is never rewritten, so an operator's own policies stay.
 * - `status`: a one-shot status write (cert-manager's `Issuing` condition); nothing to remove later.
 */
export type PolicyChange =
  | { kind: 'owned'; object: KubernetesObject }
  | { kind: 'attach'; target: ObjectRef; path: string; reference: Record<string, string>; patch: JsonPatchOperation[] }
  | { kind: 'status'; object: KubernetesObject };

/** One RBAC rule a target needs, in the shape of a Role's `rules[]` entry. */
export interface RbacRule {
  apiGroup: string;
  resources: readonly string[];
  verbs: readonly string[];
}

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'ratchet';
export const ACTION_ID_LABEL = 'ratchet.dev/action-id';
export const TARGET_LABEL = 'ratchet.dev/target';
export const ACTION_ANNOTATION = 'ratchet.dev/action';
export const ENTITY_ANNOTATION = 'ratchet.dev/entity';
export const EXPIRES_AT_ANNOTATION = 'ratchet.dev/expires-at';
export const CHAIN_ANNOTATION = 'ratchet.dev/chain';
export const STEP_ANNOTATION = 'ratchet.dev/step';

/** The label selector that lists every object Ratchet owns. */
export const OWNED_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY}`;

/**
 * The hash of an action id that names and labels its objects. An action id
 * (`ingress.deny|ip:203.0.113.7`) is not a valid object name or label value; its hash is, and the
 * same decision always yields the same name, so re-applying is idempotent.
 */
export function actionHash(actionId: string): string {
  return createHash('sha256').update(actionId).digest('hex').slice(0, 16);
}

export function objectName(action: EnforcementAction): string {
  return `ratchet-${actionHash(action.id)}`;
}

/** Name, namespace, Ratchet's labels and the annotations that explain the object to an operator. */
export function ownedMetadata(action: EnforcementAction, target: string, namespace: string): ObjectMeta {
  return {
    name: objectName(action),
    namespace,
    labels: { [MANAGED_BY_LABEL]: MANAGED_BY, [ACTION_ID_LABEL]: actionHash(action.id), [TARGET_LABEL]: target },
    annotations: {
      [ACTION_ANNOTATION]: action.id,
      [ENTITY_ANNOTATION]: action.entity,
      [EXPIRES_AT_ANNOTATION]: new Date(action.expiresAt).toISOString(),
      [CHAIN_ANNOTATION]: action.reason.chain,
      [STEP_ANNOTATION]: String(action.reason.step),
    },
  };
}

/** True when the object carries Ratchet's label: the only objects the applier may change or delete. */
export function isOwned(object: { metadata?: { labels?: Record<string, string> } }): boolean {
  return object.metadata?.labels?.[MANAGED_BY_LABEL] === MANAGED_BY;
}
