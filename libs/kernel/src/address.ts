import { BlockList, isIP } from 'node:net';
import { AppError } from './app-error';

/**
 * The one spelling of an address that entity keys use: IPv4 as is; IPv6 in lower case, zeros
 * compressed; an IPv4-mapped IPv6 address (`::ffff:203.0.113.7`) as the IPv4 address it maps.
 * Without it, `2001:DB8::1` in a log and `2001:db8::1` at /authz would be two entities, and an
 * attacker could dodge a decision by how its address is written. Not an address: undefined; so is
 * an IPv6 address with a zone (`fe80::1%eth0`), which names a link, not a client (and which
 * `isIP` accepts but `URL` refuses).
 */
export function canonicalAddress(raw: string): string | undefined {
  const address = raw.trim();
  const family = isIP(address);
  if (family === 4) return address;
  if (family !== 6 || address.includes('%')) return undefined;
  const compressed = new URL(`http://[${address}]`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(compressed);
  if (!mapped) return compressed;
  const high = parseInt(mapped[1] as string, 16);
  const low = parseInt(mapped[2] as string, 16);
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

export class InvalidAddressList extends AppError {
  constructor(
    list: string,
    /** The entry refused, and what is wrong with it: for callers that name the list their own way. */
    readonly entry: string,
    readonly problem: string,
  ) {
    super('KERNEL.INVALID_ADDRESS_LIST', `${list} "${entry}" ${problem}`);
  }
}

/** A set of addresses and CIDR ranges, IPv4 and IPv6. */
export interface AddressSet {
  has(address: string): boolean;
}

/**
 * Compiles addresses and CIDRs; `list` names the setting in errors. A malformed prefix length
 * is refused, never read as `/0` (which would match every address).
 */
export function compileAddressSet(list: string, entries: readonly string[]): AddressSet {
  const blocks = new BlockList();
  for (const entry of entries) {
    const parts = entry.trim().split('/');
    if (parts.length > 2) throw new InvalidAddressList(list, entry, 'has more than one prefix length');
    const address = canonicalAddress(parts[0] ?? '');
    if (!address) throw new InvalidAddressList(list, entry, 'is not an address or CIDR');
    const family = isIP(address) === 4 ? 'ipv4' : 'ipv6';
    const prefix = parts[1];
    if (prefix === undefined) {
      blocks.addAddress(address, family);
      continue;
    }
    const bits = /^\d{1,3}$/.test(prefix) ? Number(prefix) : Number.NaN;
    if (!(bits >= 0 && bits <= (family === 'ipv4' ? 32 : 128))) throw new InvalidAddressList(list, entry, 'has an invalid prefix length');
    blocks.addSubnet(address, bits, family);
  }
  return {
    has(raw) {
      const address = canonicalAddress(raw);
      return address !== undefined && blocks.check(address, isIP(address) === 4 ? 'ipv4' : 'ipv6');
    },
  };
}

/** Whether a string is an address or a CIDR (used to tell them from entity references). */
export function looksLikeAddressOrCidr(entry: string): boolean {
  return isIP(entry.trim().split('/')[0] ?? '') !== 0;
}
