import { canonicalAddress, compileAddressSet } from './address';

/** Proxies whose forwarding headers are believed: the ingress controller, the mesh gateway. */
export interface TrustedProxies {
  trusts(address: string): boolean;
}

/** Throws naming the entry when one is not an address or CIDR (e.g. RATCHET_TRUSTED_PROXIES=10.0.0.0/). */
export function compileTrustedProxies(cidrs: readonly string[]): TrustedProxies {
  const set = compileAddressSet('trusted proxy', cidrs.filter((c) => c.trim() !== ''));
  return { trusts: (address) => set.has(address) };
}

/** The canonical form of a header or socket address; '' when it is not one. */
function plain(address: string): string {
  return canonicalAddress(address) ?? '';
}

/**
 * The client behind a chain of proxies: `X-Forwarded-For` is believed only when the peer (the
 * address that connected) is a trusted proxy; then it is walked from the right, skipping trusted
 * hops, and the first untrusted hop is the client (every hop trusted: the left-most). Hops that
 * are not addresses are skipped. Undefined when the peer is trusted but the header names no
 * address, so the caller can fall back (to `X-Real-IP`, or to the peer). Used by `/authz` on live
 * requests and by the collector on access logs that recorded the header.
 */
export function forwardedClientAddress(peer: string, forwardedFor: string | readonly string[] | undefined, trusted: TrustedProxies): string | undefined {
  const direct = plain(peer);
  if (!trusted.trusts(direct)) return direct;
  const hops = (typeof forwardedFor === 'string' ? forwardedFor : (forwardedFor ?? []).join(','))
    .split(',')
    .map((h) => plain(h.trim()))
    .filter((h) => h !== '');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] as string;
    if (!trusted.trusts(hop) || i === 0) return hop;
  }
  return undefined;
}

/**
 * The address of the client an `auth_request` asks about: `forwardedClientAddress` over
 * `X-Forwarded-For`; without an address there, `X-Real-IP` (from a trusted peer only). Otherwise
 * the peer itself.
 */
export function resolveClientAddress(peer: string, headers: Readonly<Record<string, string | string[] | undefined>>, trusted: TrustedProxies): string {
  const forwarded = forwardedClientAddress(peer, headers['x-forwarded-for'], trusted);
  if (forwarded !== undefined) return forwarded;
  const realIp = headers['x-real-ip'];
  const real = plain((Array.isArray(realIp) ? realIp[0] : realIp)?.trim() ?? '');
  return real || plain(peer);
}
