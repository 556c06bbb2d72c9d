import type { AuthDetailsDto, AuthEventInput, ClientDto, Outcome, PrincipalDto, TargetDto } from '@ratchet/contracts';
import type { SourceResult } from '../source-parser';
import { clip, decideHttpAccess, isHttpStatus, hostWithoutPort, isIpAddress, present, splitTarget, type HttpAccess } from '../http/http-access';

/** One Envoy access-log entry, named after Envoy's command operators; absent when Envoy wrote `-` or null. */
export interface EnvoyEntry {
  /** `%START_TIME%`, already checked to be ISO-8601 with an offset. */
  startTime: string;
  method?: string;
  path?: string;
  responseCode: number;
  responseFlags?: string;
  responseCodeDetails?: string;
  connectionTerminationDetails?: string;
  upstreamTransportFailureReason?: string;
  downstreamTransportFailureReason?: string;
  userAgent?: string;
  authority?: string;
  upstreamCluster?: string;
  downstreamRemoteAddress?: string;
  requestedServerName?: string;
  downstreamPeerUriSan?: string;
  /** `%REQ(X-FORWARDED-FOR)%`: handed to the collector, which believes it only from a trusted peer. */
  forwardedFor?: string;
}

/** `10.0.0.7:43120` or `[2001:db8::7]:43120` to the address; undefined for anything else (pipes, internal listeners). */
export function addressWithoutPort(raw: string): string | undefined {
  let address = raw;
  if (address.startsWith('[')) address = address.slice(1, Math.max(1, address.indexOf(']')));
  else if (address.indexOf(':') === address.lastIndexOf(':') && address.includes(':')) address = address.slice(0, address.indexOf(':'));
  return isIpAddress(address) ? address : undefined;
}

/** The first `spiffe://` identity in `%DOWNSTREAM_PEER_URI_SAN%` (a comma-separated list). */
export function spiffeIdOf(uriSans: string | undefined): string | undefined {
  if (uriSans === undefined) return undefined;
  const start = uriSans.indexOf('spiffe://');
  if (start < 0) return undefined;
  const end = uriSans.indexOf(',', start);
  return clip((end < 0 ? uriSans.slice(start) : uriSans.slice(start, end)).trim(), 512);
}

/**
 * The Kubernetes service an entry went to: the host of an Istio cluster
 * (`outbound|8080||cart.shop.svc.cluster.local`), else of Istio's mTLS SNI
 * (`outbound_.8080_._.cart.shop.svc.cluster.local`, on inbound entries whose cluster has no host),
 * else the cluster name as Envoy has it (`httproute/shop/web/rule/0`).
 */
export function serviceOf(cluster: string | undefined, sni: string | undefined): string | undefined {
  if (cluster !== undefined && cluster.includes('|')) {
    const host = cluster.slice(cluster.lastIndexOf('|') + 1);
    if (host !== '') return clip(host, 512);
  } else if (cluster !== undefined) {
    return clip(cluster, 512);
  }
  if (sni !== undefined && sni.startsWith('outbound_.')) {
    const parts = sni.split('_.');
    const host = parts.slice(3).join('_.');
    if (host !== '') return clip(host, 512);
  }
  return undefined;
}

/** `cart.shop.svc.cluster.local` → `shop`; names that are not `<service>.<namespace>.svc…` have none. */
export function namespaceOf(service: string): string | undefined {
  const labels = service.split('.', 4);
  return labels[2] === 'svc' && labels[1] !== undefined && labels[1] !== '' ? labels[1] : undefined;
}

/** A TLS failure in a transport-failure reason (`TLS_error:|268435581:SSL_routines:…:CERTIFICATE_VERIFY_FAILED`). */
const TLS_FAILURE = /TLS|SSL|CERTIFICATE|handshake/i;

interface EnvoyDecision extends HttpAccess {
  auth?: AuthDetailsDto;
}

/**
 * The access meaning of an entry, most specific first:
 * 1. a TLS failure on either side (`%DOWNSTREAM_TRANSPORT_FAILURE_REASON%`, `%UPSTREAM_TRANSPORT_FAILURE_REASON%`)
 *    → `request` failed, `mtls handshake failed: <detail>`;
 * 2. `UAEX` (ext_authz said no) → failure, or `challenge` when it answered with a redirect (to sign in);
 * 3. Istio AuthorizationPolicy (`rbac_access_denied_matched_policy[…]`, HTTP or TCP) → failure;
 * 4. Istio RequestAuthentication (`jwt_authn_access_denied{…}`) → failure;
 * 5. else the HTTP rules shared with NGINX (`decideHttpAccess`), the reason adding Envoy's response flags.
 */
function decide(entry: EnvoyEntry, path: string | undefined): EnvoyDecision {
  const base = decideHttpAccess(entry.responseCode, entry.method, path, false);
  const tls = [entry.downstreamTransportFailureReason, entry.upstreamTransportFailureReason].find((r) => r !== undefined && TLS_FAILURE.test(r));
  if (tls !== undefined) return { action: 'request', outcome: 'failure', reason: clip(`mtls handshake failed: ${tls}`, 512), auth: { method: 'mtls' } };

  const code = entry.responseCode;
  const flags = entry.responseFlags;
  if (flags !== undefined && flags.split(',').includes('UAEX')) {
    const redirect = code >= 300 && code < 400;
    const outcome: Outcome = redirect ? 'challenge' : 'failure';
    return { action: base.action, outcome, reason: `ext_authz ${redirect ? 'redirect' : 'denied'}: http ${code}` };
  }
  const details = entry.responseCodeDetails ?? '';
  const termination = entry.connectionTerminationDetails ?? '';
  const rbac = details.startsWith('rbac_access_denied') ? details : termination.startsWith('rbac_access_denied') ? termination : undefined;
  if (rbac !== undefined) {
    const policy = bracketed(rbac, '[', ']') ?? rbac;
    const reason = policy === 'none' ? 'rbac denied: no policy allows it' : `rbac denied: ${policy}`;
    return { action: base.action, outcome: 'failure', reason: clip(reason, 512) };
  }
  if (details.startsWith('jwt_authn_access_denied')) {
    return { action: base.action, outcome: 'failure', reason: clip(`jwt denied: ${bracketed(details, '{', '}') ?? details}`, 512), auth: { method: 'jwt' } };
  }
  const status = code === 0 ? 'no http response' : base.reason;
  return { ...base, reason: clip(flags !== undefined ? `${status} ${flags}` : status, 512) };
}

/** `rbac_access_denied_matched_policy[ns[shop]-policy[deny]-rule[0]]` → `ns[shop]-policy[deny]-rule[0]`. */
function bracketed(value: string, open: string, close: string): string | undefined {
  const start = value.indexOf(open);
  const end = value.lastIndexOf(close);
  return start >= 0 && end > start + 1 ? value.slice(start + 1, end) : undefined;
}

/**
 * Plane and principal. A downstream peer with a SPIFFE id is a workload of the mesh (`east-west`,
 * `service`). An Istio inbound entry reached over Istio mTLS (SNI `outbound_.…`) is east-west too, its
 * caller unnamed when the format leaves out `%DOWNSTREAM_PEER_URI_SAN%`. Everything else: `north-south`,
 * an anonymous principal (Envoy's access log names no user).
 */
function principalOf(entry: EnvoyEntry): { plane: 'east-west' | 'north-south'; principal: PrincipalDto; mtls: boolean } {
  const spiffe = spiffeIdOf(entry.downstreamPeerUriSan);
  if (spiffe !== undefined) return { plane: 'east-west', principal: { type: 'service', id: spiffe, spiffeId: spiffe }, mtls: true };
  if (entry.upstreamCluster?.startsWith('inbound|') && entry.requestedServerName?.startsWith('outbound_.')) {
    return { plane: 'east-west', principal: { type: 'service' }, mtls: true };
  }
  return { plane: 'north-south', principal: { type: 'anonymous' }, mtls: false };
}

/** The parser's answer for one entry: its event, and the X-Forwarded-For it logged for the collector to resolve. */
export function envoyResult(entry: EnvoyEntry, id: string): SourceResult {
  const events = [toEnvoyEvent(entry, id)];
  return entry.forwardedFor === undefined ? { ok: true, events } : { ok: true, events, forwardedFor: entry.forwardedFor };
}

/** The canonical event of one Envoy entry. */
export function toEnvoyEvent(entry: EnvoyEntry, id: string): AuthEventInput {
  const path = entry.path === undefined ? undefined : splitTarget(entry.path).path;
  const decision = decide(entry, path);
  const { plane, principal, mtls } = principalOf(entry);

  const client: ClientDto = {};
  const address = entry.downstreamRemoteAddress === undefined ? undefined : addressWithoutPort(entry.downstreamRemoteAddress);
  if (address !== undefined) client.ip = address;
  if (entry.userAgent !== undefined) client.userAgent = clip(entry.userAgent, 1024);

  const target: TargetDto = {};
  const host = entry.authority === undefined ? undefined : hostWithoutPort(entry.authority);
  if (host !== undefined) target.host = host;
  if (path !== undefined) target.path = path;
  if (entry.method !== undefined) target.method = entry.method;
  // `0`: no response was sent (a reset, a TCP entry); AuthEvent's status is an HTTP status or nothing.
  if (isHttpStatus(entry.responseCode)) target.status = entry.responseCode;
  const service = serviceOf(entry.upstreamCluster, entry.requestedServerName);
  if (service !== undefined) {
    target.service = service;
    const namespace = namespaceOf(service);
    if (namespace !== undefined) target.namespace = namespace;
  }

  const event: AuthEventInput = {
    id,
    time: entry.startTime,
    source: { kind: 'envoy' },
    plane,
    action: decision.action,
    outcome: decision.outcome,
    reason: decision.reason,
    principal,
  };
  if (Object.keys(client).length > 0) event.client = client;
  if (Object.keys(target).length > 0) event.target = target;
  const auth = decision.auth ?? (mtls ? { method: 'mtls' } : undefined);
  if (auth !== undefined) event.auth = auth;
  return event;
}

/** A value Envoy wrote, or undefined for `-`, empty and null. */
export function envoyValue(value: unknown): string | undefined {
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' && present(value) ? value : undefined;
}
