import type { RiskSignal } from '@ratchet/contracts';
import { eventSignal, type Detector } from '../detector';
import { compileNamePatterns, compileSettings, namePatternsSetting, type NameMatcher, type SettingReader } from '../detector-config';
import { hasFact, NO_OPS, NO_SIGNALS, principalEntityOf } from '../event-reading';
import { CONTROL_PLANE_IDENTITIES, isControlPlaneCall } from './control-plane';

export interface BindingParams {
  /** Identities whose binding changes are expected (default: the control plane's own). */
  allowedIdentities: NameMatcher;
}

const BINDINGS = new Set(['rolebindings', 'clusterrolebindings']);
const WRITE_VERBS = new Set(['create', 'update', 'patch']);

const READERS: Readonly<Record<string, SettingReader<BindingParams>>> = {
  allowedIdentities: namePatternsSetting('allowedIdentities'),
};

const DEFAULTS: BindingParams = { allowedIdentities: compileNamePatterns(CONTROL_PLANE_IDENTITIES) };

/**
 * A ClusterRoleBinding to a role that owns the cluster — `cluster-admin`, the controller manager's
 * role, or one named `system:masters` — created or changed (fact `cluster-admin-grant`, from the
 * `k8s-audit` parser): whoever holds the subject now owns the cluster. A RoleBinding to
 * `cluster-admin` grants it in one namespace and is `k8s.rbac-binding-change`'s. Falco's "Attach to
 * cluster-admin Role", Panther's `Kubernetes.ClusterRoleBinding.Privileged`. Severity 0.9, on the
 * identity that made the grant.
 */
export const k8sClusterAdminGrantDetector: Detector<BindingParams> & { readonly stateless: true } = {
  id: 'k8s.cluster-admin-grant',
  signalType: 'k8s_cluster_admin_grant',
  reads: { planes: ['control'] },
  summary: 'A role binding to cluster-admin created or changed by an identity outside `allowedIdentities` (default: control-plane controllers)',
  stateless: true,
  defaults: DEFAULTS,
  compile(raw) {
    return compileSettings(this.id, raw, this.defaults, READERS);
  },
  plan() {
    return NO_OPS;
  },
  detect(event, _results, p): RiskSignal[] {
    if (!isControlPlaneCall(event) || event.outcome !== 'success' || !hasFact(event, 'cluster-admin-grant')) return NO_SIGNALS;
    const entity = principalEntityOf(event);
    if (entity === undefined || p.allowedIdentities(event.principal?.id as string)) return NO_SIGNALS;
    return [eventSignal(this, event, entity, 0.9, 1, bindingEvidence(event.target))];
  },
};

/**
 * Any other role binding created, replaced or patched (`rolebindings`, `clusterrolebindings`):
 * how privileges are handed out, worth a small amount of risk on the identity that did it (0.4 for
 * cluster-wide bindings, 0.3 in a namespace). A binding to `cluster-admin` is left to
 * `k8s.cluster-admin-grant`, so one grant is not counted twice.
 */
export const k8sRbacBindingChangeDetector: Detector<BindingParams> & { readonly stateless: true } = {
  id: 'k8s.rbac-binding-change',
  signalType: 'k8s_rbac_binding_change',
  reads: { planes: ['control'] },
  summary: 'A role binding created, updated or patched by an identity outside `allowedIdentities` (default: control-plane controllers)',
  stateless: true,
  defaults: DEFAULTS,
  compile(raw) {
    return compileSettings(this.id, raw, this.defaults, READERS);
  },
  plan() {
    return NO_OPS;
  },
  detect(event, _results, p): RiskSignal[] {
    if (!isControlPlaneCall(event) || event.outcome !== 'success' || hasFact(event, 'cluster-admin-grant')) return NO_SIGNALS;
    const target = event.target;
    if (target?.service === undefined || !BINDINGS.has(target.service) || target.method === undefined || !WRITE_VERBS.has(target.method)) return NO_SIGNALS;
    const entity = principalEntityOf(event);
    if (entity === undefined || p.allowedIdentities(event.principal?.id as string)) return NO_SIGNALS;
    return [eventSignal(this, event, entity, target.service === 'clusterrolebindings' ? 0.4 : 0.3, 1, bindingEvidence(target))];
  },
};

function bindingEvidence(target: { service?: string; method?: string; namespace?: string; name?: string } | undefined): Record<string, string> {
  return { resource: target?.service ?? '', verb: target?.method ?? '', namespace: target?.namespace ?? '', name: target?.name ?? '' };
}
