import type { RiskSignal } from '@ratchet/contracts';
import { eventSignal, type Detector } from '../detector';
import { compileNamePatterns, compileSettings, namePatternsSetting, type NameMatcher, type SettingReader } from '../detector-config';
import { hasFact, NO_OPS, NO_SIGNALS, principalEntityOf } from '../event-reading';
import { CONTROL_PLANE_IDENTITIES, isControlPlaneCall } from './control-plane';

export interface PrivilegedWorkloadParams {
  /** Identities whose privileged workloads are expected (default: the control plane's own). */
  allowedIdentities: NameMatcher;
}

const READERS: Readonly<Record<string, SettingReader<PrivilegedWorkloadParams>>> = {
  allowedIdentities: namePatternsSetting('allowedIdentities'),
};

/**
 * A workload that can take over its node: a privileged container or host PID/IPC/network (fact
 * `privileged-workload`, 0.8), or a host path mounted (`host-path-mount`, 0.7), created or changed
 * successfully. The facts come from the `k8s-audit` parser reading the request object. Specified by
 * Falco's "Create Privileged Pod" / "Create Sensitive Mount Pod" / "Create HostNetwork Pod", CrowdSec's
 * `k8s-audit-privileged-pod-creation` and `k8s-audit-pod-host-path-volume`, Panther's
 * `k8s_privileged_pod_created` family. Controllers creating the pods of a DaemonSet (CNI, log
 * shippers) are the control plane's identities, allowed by default (`allowedIdentities`): the
 * person who created the DaemonSet is the one to flag, when the parser marks that request.
 */
export const k8sPrivilegedWorkloadDetector: Detector<PrivilegedWorkloadParams> & { readonly stateless: true } = {
  id: 'k8s.privileged-workload',
  signalType: 'k8s_privileged_workload',
  reads: { planes: ['control'] },
  summary: 'A privileged or host-path workload created or changed by an identity outside `allowedIdentities` (default: control-plane controllers)',
  stateless: true,
  defaults: { allowedIdentities: compileNamePatterns(CONTROL_PLANE_IDENTITIES) },
  compile(raw) {
    return compileSettings(this.id, raw, this.defaults, READERS);
  },
  plan() {
    return NO_OPS;
  },
  detect(event, _results, p): RiskSignal[] {
    if (!isControlPlaneCall(event) || event.outcome !== 'success' || event.facts === undefined) return NO_SIGNALS;
    const privileged = hasFact(event, 'privileged-workload');
    const hostPath = hasFact(event, 'host-path-mount');
    if (!privileged && !hostPath) return NO_SIGNALS;
    const entity = principalEntityOf(event);
    if (entity === undefined || p.allowedIdentities(event.principal?.id as string)) return NO_SIGNALS;
    const facts = privileged && hostPath ? 'privileged-workload,host-path-mount' : privileged ? 'privileged-workload' : 'host-path-mount';
    return [
      eventSignal(this, event, entity, privileged ? 0.8 : 0.7, 1, {
        facts,
        resource: event.target?.service ?? '',
        namespace: event.target?.namespace ?? '',
        name: event.target?.name ?? '',
      }),
    ];
  },
};
