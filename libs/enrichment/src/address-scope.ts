import { isIP } from 'node:net';
import type { AddressScope } from '@ratchet/contracts';

/**
 * How the documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32,
 * 3fff::/20) are scoped. `public` (the default): Ratchet's own demos, tests and fixtures use them as
 * "somewhere on the internet", and no real client ever connects from one, so calling them public
 * costs nothing in production and keeps demos behaving like the internet. `reserved`: what the IANA
 * registries say, for an operator who wants them kept apart.
 */
export type DocumentationScope = 'public' | 'reserved';

/**
 * The IANA IPv4 and IPv6 special-purpose address registries (RFC 6890 and later), reduced to
 * what a risk engine needs to know about a client: is it on the internet (`public`), inside the
 * organisation (`private`), this host (`loopback`), this link (`link-local`), behind a carrier's
 * NAT (`shared`), or an address no client should have (`reserved`: unspecified, benchmarking,
 * multicast, future use, protocol assignments). Ranges the registries list as globally reachable
 * (AS112, AMT, the NAT64 well-known prefix, 6to4) stay public. IPv4-mapped IPv6 addresses are
 * scoped as the IPv4 address they map (the kernel's `canonicalAddress`).
 */
const SPECIAL_PURPOSE: ReadonlyArray<readonly [Exclude<AddressScope, 'public'> | 'documentation', readonly string[]]> = [
  ['private', ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7', '64:ff9b:1::/48', 'fec0::/10']],
  ['loopback', ['127.0.0.0/8', '::1/128']],
  ['link-local', ['169.254.0.0/16', 'fe80::/10']],
  ['shared', ['100.64.0.0/10']],
  [
    'reserved',
    [
      '0.0.0.0/8', // "this network"
      '192.0.0.0/24', // IETF protocol assignments
      '192.88.99.0/24', // deprecated 6to4 relay anycast
      '198.18.0.0/15', // benchmarking
      '224.0.0.0/4', // multicast
      '240.0.0.0/4', // future use, and the limited broadcast 255.255.255.255
      '::/128', // unspecified
      '100::/64', // discard-only
      '2001::/23', // IETF protocol assignments (Teredo, ORCHID, benchmarking …)
      '5f00::/16', // SRv6 SIDs
      'ff00::/8', // multicast
    ],
  ],
  ['documentation', ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', '2001:db8::/32', '3fff::/20']],
];

export interface AddressScopeOptions {
  /** Default `public`; see `DocumentationScope`. */
  documentation?: DocumentationScope;
}

/** Answers the scope of a client address; compiled once, pure. */
export interface AddressScopes {
  /** The scope of an address; undefined when the string is not an IP address. */
  scopeOf(address: string): AddressScope | undefined;
}

/** A range as the 8 hextets of its network and its prefix length; IPv4 ranges as IPv4-mapped IPv6 (`::ffff:0:0/96` + prefix). */
interface Range {
  hextets: readonly number[];
  bits: number;
  scope: AddressScope;
}

/**
 * Compiled once. The match is plain arithmetic on the 8 hextets of the address (an IPv4 address
 * as its IPv4-mapped form), because it runs for every event: Node's `BlockList` and URL-based
 * canonicalisation cost several microseconds per address, this a fraction of one.
 */
export function compileAddressScopes(options: AddressScopeOptions = {}): AddressScopes {
  const documentation = options.documentation ?? 'public';
  const ranges: Range[] = [];
  for (const [scope, cidrs] of SPECIAL_PURPOSE) {
    const as: AddressScope = scope === 'documentation' ? documentation : scope;
    if (as === 'public') continue;
    for (const cidr of cidrs) {
      const [network = '', bits = ''] = cidr.split('/');
      const hextets = hextetsOf(network);
      if (hextets === undefined) throw new Error(`address-scope: ${cidr} is not a network`);
      ranges.push({ hextets, bits: Number(bits) + (isIP(network) === 4 ? 96 : 0), scope: as });
    }
  }
  return {
    scopeOf(address) {
      const hextets = hextetsOf(address.trim());
      if (hextets === undefined) return undefined;
      for (const range of ranges) if (within(hextets, range)) return range.scope;
      return 'public';
    },
  };
}

function within(hextets: readonly number[], range: Range): boolean {
  let bits = range.bits;
  for (let i = 0; bits > 0; i++, bits -= 16) {
    const mask = bits >= 16 ? 0xffff : (0xffff << (16 - bits)) & 0xffff;
    if (((hextets[i] as number) & mask) !== (range.hextets[i] as number)) return false;
  }
  return true;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * The 8 hextets of an address; IPv4 (and IPv4-mapped IPv6, `::ffff:10.0.0.1` or `::ffff:a00:1`) as
 * `::ffff:a.b.c.d`, so a mapped address is scoped as the IPv4 address it maps. Undefined for
 * anything that is not an address, an address with a zone (`fe80::1%eth0`) included.
 */
function hextetsOf(address: string): number[] | undefined {
  const family = isIP(address);
  if (family === 4) {
    const m = IPV4.exec(address) as RegExpExecArray;
    return [0, 0, 0, 0, 0, 0xffff, (+(m[1] as string) << 8) | +(m[2] as string), (+(m[3] as string) << 8) | +(m[4] as string)];
  }
  if (family !== 6 || address.includes('%')) return undefined;
  let text = address.toLowerCase();
  let tail: number[] = [];
  const dotted = text.lastIndexOf(':');
  if (text.includes('.', dotted)) {
    // An embedded IPv4 address ends the IPv6 one: its two hextets.
    const v4 = hextetsOf(text.slice(dotted + 1)) as number[];
    tail = [v4[6] as number, v4[7] as number];
    text = `${text.slice(0, dotted + 1)}0`;
  }
  const [head = '', rest] = text.split('::');
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((h) => parseInt(h, 16)));
  let hextets: number[];
  if (rest === undefined) hextets = parse(head);
  else {
    const left = parse(head);
    const right = parse(rest);
    hextets = [...left, ...new Array<number>(8 - left.length - right.length - (tail.length > 0 ? 1 : 0)).fill(0), ...right];
  }
  if (tail.length > 0) hextets = [...hextets.slice(0, hextets.length - 1), ...tail];
  return hextets;
}
