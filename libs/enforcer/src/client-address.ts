import { canonicalAddress, compileAddressSet } from '@ratchet/kernel';

/** Proxies whose forwarding headers are believed: the ingress controller, the mesh gateway. */
export interface TrustedProxies {
  trusts(address: string): boolean;
}

/** Throws naming the entry when one is not an address or CIDR (e.g. ENFORCER_TRUSTED_PROXIES=10.0.0.0/). */
export function compileTrustedProxies(cidrs: readonly string[]): TrustedProxies {
  const set = compileAddressSet('trusted proxy', cidrs.filter((c) => c.trim() !== ''));
  return { trusts: (address) => set.has(address) };
}

/** The canonical form of a header or socket address; '' when it is not one. */
function plain(address: string): string {
  return canonicalAddress(address) ?? '';
}

/**
 * The address of the client an `auth_request` asks about. Forwarding headers count only when the
 * peer is a trusted proxy: `X-Forwarded-For` is walked from the right, skipping trusted hops, and
 * the first untrusted hop is the client; without it, `X-Real-IP`. Otherwise the peer itself.
 */
export function resolveClientAddress(peer: string, headers: Readonly<Record<string, string | string[] | undefined>>, trusted: TrustedProxies): string {
  const direct = plain(peer);
  if (!trusted.trusts(direct)) return direct;
  const forwarded = headers['x-forwarded-for'];
  const hops = (Array.isArray(forwarded) ? forwarded.join(',') : (forwarded ?? ''))
    .split(',')
    .map((h) => plain(h.trim()))
    .filter((h) => h !== '');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] as string;
    if (!trusted.trusts(hop) || i === 0) return hop;
  }
  const realIp = headers['x-real-ip'];
  const real = plain((Array.isArray(realIp) ? realIp[0] : realIp)?.trim() ?? '');
  return real || direct;
}
