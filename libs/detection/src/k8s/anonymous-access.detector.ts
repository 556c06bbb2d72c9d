import type { AuthEvent, RiskSignal } from '@ratchet/contracts';
import { eventSignal, type Detector } from '../detector';
import { compileSettings, stringListSetting, type SettingReader } from '../detector-config';
import { addressEntityOf, NO_OPS, NO_SIGNALS } from '../event-reading';
import { callsFromNonPublicAddress, isControlPlaneCall, requestPathOf } from './control-plane';

export interface AnonymousAccessParams {
  /** Paths anonymous callers are meant to reach; a path also covers what lies below it (`/readyz/etcd`). */
  allowedPaths: readonly string[];
}

const READERS: Readonly<Record<string, SettingReader<AnonymousAccessParams>>> = {
  allowedPaths: stringListSetting('allowedPaths'),
};

/**
 * Paths the API server serves to anyone by design: health and version probes
 * (`system:public-info-viewer`) and service-account issuer discovery
 * (`system:service-account-issuer-discovery`), which OIDC federation fetches anonymously.
 */
export const ANONYMOUS_PATHS: readonly string[] = ['/healthz', '/livez', '/readyz', '/version', '/.well-known/openid-configuration', '/openid/v1/jwks'];

/** The API server answered an anonymous caller: anonymous auth is on and RBAC lets it through. */
const SERVED = 0.9;
/** Refused (401 or 403): someone is trying, the cluster held. */
const REFUSED = 0.4;
/** An allowed path answered to a public address: the API server is exposed and being fingerprinted. */
const PROBED = 0.2;

/**
 * Anonymous (`system:anonymous`) or unauthenticated (401) calls to the Kubernetes API. Specified by
 * CrowdSec's `k8s-audit-anonymous-access` and Panther's `Kubernetes.API.AnonymousAccess` /
 * `Amazon.EKS.AnonymousAPIAccess`. One signal per call on the caller's address: severity 0.9 when
 * the call succeeded, 0.4 when it was refused. `allowedPaths` (default `ANONYMOUS_PATHS`) are
 * served to anonymous callers by design: from a non-public address (a load balancer's or kubelet's
 * health check) they are left alone; from a public one they still say the API server is reachable
 * from the internet and someone is fingerprinting it (`/version` is a scanner's first request), so
 * they rate 0.2. Calls from loopback are the API server host's own probes; calls without an
 * address are left out (there is nothing to act on).
 */
export const k8sAnonymousAccessDetector: Detector<AnonymousAccessParams> & { readonly stateless: true } = {
  id: 'k8s.anonymous-access',
  signalType: 'k8s_anonymous_access',
  reads: { planes: ['control'] },
  summary: 'An anonymous or unauthenticated Kubernetes API call outside `allowedPaths` (default: health, version, OIDC discovery); high when it succeeded',
  stateless: true,
  defaults: { allowedPaths: ANONYMOUS_PATHS },
  compile(raw) {
    return compileSettings(this.id, raw, this.defaults, READERS);
  },
  plan() {
    return NO_OPS;
  },
  detect(event, _results, p): RiskSignal[] {
    if (!isControlPlaneCall(event)) return NO_SIGNALS;
    const anonymous = event.principal?.type === 'anonymous' || (event.outcome === 'failure' && event.reason === 'unauthenticated');
    if (!anonymous) return NO_SIGNALS;
    const entity = addressEntityOf(event);
    if (entity === undefined || isLoopback(event)) return NO_SIGNALS;
    const path = requestPathOf(event) ?? '';
    const allowed = p.allowedPaths.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
    if (allowed && callsFromNonPublicAddress(event.client)) return NO_SIGNALS;
    const severity = allowed ? PROBED : event.outcome === 'success' ? SERVED : REFUSED;
    return [eventSignal(this, event, entity, severity, 0.9, { outcome: event.outcome, verb: event.target?.method ?? '', path })];
  },
};

function isLoopback(event: AuthEvent): boolean {
  const ip = event.client?.ip;
  return event.client?.scope === 'loopback' || ip === '::1' || (ip !== undefined && ip.startsWith('127.'));
}
