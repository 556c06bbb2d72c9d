import type { RiskSignal } from '@ratchet/contracts';
import { entityRef, type AddressSet } from '@ratchet/kernel';
import { eventSignal, type Detector } from '../detector';
import { addressSetSetting, compileSettings, stringListSetting, type SettingReader } from '../detector-config';
import { NO_OPS, NO_SIGNALS } from '../event-reading';
import { callsFromNonPublicAddress, isControlPlaneCall } from './control-plane';

export interface TokenOutsideClusterParams {
  /** Where the cluster's workloads call from; undefined: any non-public address. */
  clusterCidrs: AddressSet | undefined;
  principalPrefixes: readonly string[];
}

const READERS: Readonly<Record<string, SettingReader<TokenOutsideClusterParams>>> = {
  clusterCidrs: addressSetSetting('clusterCidrs'),
  principalPrefixes: stringListSetting('principalPrefixes'),
};

/**
 * A service-account token used from outside the cluster: tokens are mounted into pods, so a call
 * from elsewhere means one was taken (Panther's `Kubernetes.System.Principal.PublicIP`, Stratus Red
 * Team's steal-serviceaccount-token). Outside is: not in `clusterCidrs` when set (pods, nodes and
 * the addresses the API server sees them from); by default, an address enrichment scopes `public`
 * or `reserved`, or, unscoped, one outside `NON_PUBLIC_RANGES`. Any outcome counts (a refused
 * call still used the token). Principals: usernames starting with one of `principalPrefixes`
 * (default `system:serviceaccount:`). Severity 0.9 on `svc:<username>`; confidence 0.9 with
 * configured CIDRs, 0.7 when guessing from the address alone.
 */
export const k8sTokenOutsideClusterDetector: Detector<TokenOutsideClusterParams> & { readonly stateless: true } = {
  id: 'k8s.token-outside-cluster',
  signalType: 'k8s_token_outside_cluster',
  reads: { planes: ['control'] },
  summary: 'A service-account token used from an address outside `clusterCidrs` (default: any public address)',
  stateless: true,
  defaults: { clusterCidrs: undefined, principalPrefixes: ['system:serviceaccount:'] },
  compile(raw) {
    return compileSettings(this.id, raw, this.defaults, READERS);
  },
  plan() {
    return NO_OPS;
  },
  detect(event, _results, p): RiskSignal[] {
    if (!isControlPlaneCall(event)) return NO_SIGNALS;
    const username = event.principal?.id;
    const client = event.client;
    if (username === undefined || client?.ip === undefined || !p.principalPrefixes.some((prefix) => username.startsWith(prefix))) return NO_SIGNALS;
    const inside = p.clusterCidrs !== undefined ? p.clusterCidrs.has(client.ip) : callsFromNonPublicAddress(client);
    if (inside) return NO_SIGNALS;
    return [
      eventSignal(this, event, entityRef('svc', username), 0.9, p.clusterCidrs !== undefined ? 0.9 : 0.7, {
        address: client.ip,
        verb: event.target?.method ?? '',
        resource: event.target?.service ?? '',
        outcome: event.outcome,
      }),
    ];
  },
};
