import { BlockList, isIP } from 'node:net';

/** Proxies whose forwarding headers are believed: the ingress controller, the mesh gateway. */
export interface TrustedProxies {
  trusts(address: string): boolean;
}

export function compileTrustedProxies(cidrs: readonly string[]): TrustedProxies {
  const list = new BlockList();
  for (const entry of cidrs) {
    const [address = '', prefix] = entry.trim().split('/');
    const family = isIP(address);
    if (!family) throw new Error(`trusted proxy "${entry}" is not an address or CIDR`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return {
    trusts(address) {
      const family = isIP(address);
      return family !== 0 && list.check(address, family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}

/** Strips the IPv4-mapped IPv6 prefix Node reports for IPv4 peers on a dual-stack socket. */
function plain(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
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
    .filter((h) => isIP(h) !== 0);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] as string;
    if (!trusted.trusts(hop) || i === 0) return hop;
  }
  const realIp = headers['x-real-ip'];
  const real = plain((Array.isArray(realIp) ? realIp[0] : realIp)?.trim() ?? '');
  return isIP(real) ? real : direct;
}
