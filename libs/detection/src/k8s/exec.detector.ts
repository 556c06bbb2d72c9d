import type { RiskSignal } from '@ratchet/contracts';
import { eventSignal, type Detector } from '../detector';
import { compileSettings, namePatternsSetting, stringSetSetting, type NameMatcher, type SettingReader } from '../detector-config';
import { NO_OPS, NO_SIGNALS, principalEntityOf } from '../event-reading';
import { isControlPlaneCall } from './control-plane';

export interface ExecParams {
  /** Identities whose sessions in pods are routine (CI runners, a debugging operator); no signal. */
  allowedIdentities: NameMatcher;
  /** Namespaces where a session weighs more. */
  sensitiveNamespaces: ReadonlySet<string>;
}

const READERS: Readonly<Record<string, SettingReader<ExecParams>>> = {
  allowedIdentities: namePatternsSetting('allowedIdentities'),
  sensitiveNamespaces: stringSetSetting('sensitiveNamespaces'),
};

/** `kubectl exec` (POST, or GET over WebSocket since Kubernetes 1.30) and `attach` open a shell-like session in a container. */
const SESSION_SUBRESOURCES = new Map([
  ['pods/exec', 0.6],
  ['pods/attach', 0.6],
  // A port forward reaches into the pod's network, not its processes.
  ['pods/portforward', 0.4],
]);
const SESSION_VERBS = new Set(['create', 'get']);
const SENSITIVE = 0.8;

/**
 * A session opened in a running pod (`pods/exec`, `pods/attach`, `pods/portforward`) that the API
 * server allowed: attackers run commands and read mounted tokens this way. Specified by CrowdSec's
 * `k8s-audit-pod-exec` and Panther's `Kubernetes.Pod.Exec`. One signal per session on the user or
 * service account: severity 0.6 (0.4 for a port forward), 0.8 in `sensitiveNamespaces` (default
 * kube-system). `allowedIdentities` (patterns, `*` for any run; default none) are not signalled —
 * list routine automation there, not break-glass accounts, whose use should be seen.
 */
export const k8sExecDetector: Detector<ExecParams> & { readonly stateless: true } = {
  id: 'k8s.exec',
  signalType: 'k8s_exec',
  reads: { planes: ['control'] },
  summary: 'A user or service account opened exec/attach/portforward into a pod (higher in `sensitiveNamespaces`, default kube-system; `allowedIdentities` skipped)',
  stateless: true,
  defaults: { allowedIdentities: () => false, sensitiveNamespaces: new Set(['kube-system']) },
  compile(raw) {
    return compileSettings(this.id, raw, this.defaults, READERS);
  },
  plan() {
    return NO_OPS;
  },
  detect(event, _results, p): RiskSignal[] {
    if (!isControlPlaneCall(event) || event.outcome !== 'success') return NO_SIGNALS;
    const target = event.target;
    const base = target?.service === undefined ? undefined : SESSION_SUBRESOURCES.get(target.service);
    if (base === undefined || target?.method === undefined || !SESSION_VERBS.has(target.method)) return NO_SIGNALS;
    const entity = principalEntityOf(event);
    if (entity === undefined || p.allowedIdentities(event.principal?.id as string)) return NO_SIGNALS;
    const namespace = target.namespace ?? '';
    const severity = p.sensitiveNamespaces.has(namespace) ? Math.max(base, SENSITIVE) : base;
    return [eventSignal(this, event, entity, severity, 1, { subresource: target.service as string, namespace, pod: target.name ?? '' })];
  },
};
