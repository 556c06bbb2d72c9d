/**
 * Addresses as numbers, for the intel matcher's hot path. IPv4 is one unsigned 32-bit integer;
 * IPv6 is four, most significant first.
 */

/** Not an IPv4 address in strict dotted-quad form. Distinct from every address (those are ≥ 0). */
export const NOT_IPV4 = -1;

const DOT = 46;
const ZERO = 48;
const NINE = 57;

/**
 * The address as an unsigned 32-bit integer, or NOT_IPV4. Accepts exactly what `net.isIPv4`
 * accepts (four decimal parts 0–255, no leading zeros, no surrounding space), without a regular
 * expression or an allocation: this runs once per event.
 */
export function parseIpv4(text: string): number {
  const length = text.length;
  if (length < 7 || length > 15) return NOT_IPV4;
  let value = 0;
  let part = 0;
  let digits = 0;
  let parts = 0;
  for (let i = 0; i <= length; i++) {
    const c = i < length ? text.charCodeAt(i) : DOT;
    if (c === DOT) {
      if (digits === 0 || part > 255) return NOT_IPV4;
      value = value * 256 + part;
      parts++;
      part = 0;
      digits = 0;
      continue;
    }
    if (c < ZERO || c > NINE) return NOT_IPV4;
    if (digits === 1 && part === 0) return NOT_IPV4;
    part = part * 10 + (c - ZERO);
    digits++;
  }
  return parts === 4 ? value : NOT_IPV4;
}

export function formatIpv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/** The first address of the /`bits` network holding `value` (bits 0–32). */
export function ipv4Network(value: number, bits: number): number {
  return bits === 0 ? 0 : (value & (-1 << (32 - bits))) >>> 0;
}

/** How many addresses a /`bits` IPv4 network holds. */
export function ipv4NetworkSize(bits: number): number {
  return 2 ** (32 - bits);
}

export type Ipv6Words = [number, number, number, number];

/**
 * The four 32-bit words of an IPv6 address in the canonical form `canonicalAddress` gives (lower
 * case hexadecimal groups, `::` for the longest run of zeros, never a dotted IPv4 tail).
 */
export function ipv6Words(canonical: string): Ipv6Words {
  const gap = canonical.indexOf('::');
  const head = gap < 0 ? canonical : canonical.slice(0, gap);
  const tail = gap < 0 ? '' : canonical.slice(gap + 2);
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === '' ? [] : tail.split(':');
  const groups = [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  const word = (i: number): number => ((parseInt(groups[2 * i] ?? '0', 16) << 16) | parseInt(groups[2 * i + 1] ?? '0', 16)) >>> 0;
  return [word(0), word(1), word(2), word(3)];
}

/** The words of the /`bits` network holding the address (bits 0–128). */
export function ipv6Network(words: Readonly<Ipv6Words>, bits: number): Ipv6Words {
  const masked: Ipv6Words = [0, 0, 0, 0];
  for (let i = 0; i < 4; i++) masked[i] = ipv4Network(words[i] as number, Math.max(0, Math.min(32, bits - 32 * i)));
  return masked;
}

/** A map key for a /`bits` IPv6 network: its prefix length and first address. */
export function ipv6NetworkKey(words: Readonly<Ipv6Words>, bits: number): string {
  const [a, b, c, d] = ipv6Network(words, bits);
  return `${bits}/${a.toString(16)}:${b.toString(16)}:${c.toString(16)}:${d.toString(16)}`;
}
