import type { ActionParams, EnforcementAction } from '@ratchet/contracts';
import { canonicalAddress, parseEntityRef } from '@ratchet/kernel';

/** A SPIFFE id of the Kubernetes form `spiffe://<trust domain>/ns/<namespace>/sa/<service account>`. */
export interface Workload {
  trustDomain: string;
  namespace: string;
  serviceAccount: string;
}

const SPIFFE = /^spiffe:\/\/([^/]+)\/ns\/([^/]+)\/sa\/([^/]+)$/;

export function parseWorkload(spiffeId: string): Workload | undefined {
  const m = SPIFFE.exec(spiffeId);
  return m ? { trustDomain: m[1] as string, namespace: m[2] as string, serviceAccount: m[3] as string } : undefined;
}

/** What an action is against, read once from its entity: an address, a user, or a workload. */
export type ActionSubject =
  | { kind: 'ip'; address: string }
  | { kind: 'user'; user: string }
  | { kind: 'svc'; spiffeId: string; workload: Workload | undefined }
  | { kind: 'other'; entity: string };

export function actionSubject(action: EnforcementAction): ActionSubject {
  const ref = parseEntityRef(action.entity);
  const address = ref?.kind === 'ip' ? canonicalAddress(ref.id) : undefined;
  if (address !== undefined) return { kind: 'ip', address };
  if (ref?.kind === 'user') return { kind: 'user', user: ref.id };
  if (ref?.kind === 'svc') return { kind: 'svc', spiffeId: ref.id, workload: parseWorkload(ref.id) };
  return { kind: 'other', entity: action.entity };
}

export function stringParam(params: ActionParams | undefined, name: string): string | undefined {
  const value = params?.[name];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Reads `app=cart,tier=web` into match labels; a reason naming the bad pair otherwise. */
export function parseSelector(raw: string): Record<string, string> | { invalid: string } {
  const labels: Record<string, string> = {};
  for (const pair of raw.split(',')) {
    const eq = pair.indexOf('=');
    const key = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    if (eq < 0 || !LABEL_KEY.test(key) || key.length > 317 || !LABEL_VALUE.test(value) || value.length > 63) {
      return { invalid: `"${pair.trim()}" is not a label key=value` };
    }
    labels[key] = value;
  }
  return labels;
}

export function isNamespaceName(raw: string): boolean {
  return raw.length <= 63 && DNS_LABEL.test(raw);
}
