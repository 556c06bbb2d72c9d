import { isIP } from 'node:net';
import { AppError, canonicalAddress } from '@ratchet/kernel';
import { ipv4Network, ipv4NetworkSize, ipv6NetworkKey, ipv6Words, NOT_IPV4, parseIpv4 } from './address-bits';

/** One address or CIDR a feed names. */
export interface FeedEntry {
  /** `203.0.113.7`, `203.0.113.0/24`, `2001:db8::/32`; any spelling `canonicalAddress` reads. */
  readonly indicator: string;
  /** 0–1: how sure the feed is (ipsum: from the number of lists naming the address). */
  readonly confidence: number;
  /** Added to the feed's labels for this entry (STIX `labels` and `indicator_types`). Default none. */
  readonly labels?: readonly string[];
  /** Where the entry came from, for errors: `line 12`, `indicator--…`. Default `entry <n>` (1-based). */
  readonly origin?: string;
}

/** A named set of indicators, e.g. ipsum or a Tor exit list, as the feed parsers produce it. */
export interface Feed {
  /** Operator-facing and unique among the feeds compiled together: it is the evidence of a match. */
  readonly name: string;
  /** Labels of every entry, e.g. `['tor']`. Default none. */
  readonly labels?: readonly string[];
  readonly entries: readonly FeedEntry[];
}

/** The indicator an address matched. The same object is answered for every address it covers. */
export interface IntelMatch {
  readonly feed: string;
  /** The entry as the feed wrote it (trimmed): `203.0.113.0/24`. */
  readonly indicator: string;
  /** 0–1. */
  readonly confidence: number;
  /** The feed's labels, then the entry's own. */
  readonly labels: readonly string[];
}

/** Indicator sets compiled for lookups; pure and immutable. */
export interface AddressIntel {
  /**
   * The best indicator covering the address, in any spelling; undefined when none does or the
   * text is not an address. Best: the most confident; then the most specific (an address before
   * the /24 holding it, a /24 before a /16); then the earliest feed and entry.
   */
  lookup(ip: string): IntelMatch | undefined;
  /** Distinct indicators, across feeds (an entry two feeds name counts once). */
  readonly size: number;
}

export class InvalidIntelFeed extends AppError {
  constructor(
    readonly feed: string,
    readonly origin: string,
    problem: string,
  ) {
    super('DETECTION.INVALID_INTEL_FEED', `${feed} ${origin}: ${problem}`);
  }
}

/**
 * Compiles feeds for lookups at well over a million a second: IPv4 addresses in an
 * open-addressing hash table of 32-bit integers, IPv4 networks flattened into sorted disjoint
 * ranges (each holding its best covering indicator) searched by bisection, IPv6 in maps keyed by
 * prefix length and network, probed once per length in use. Refuses, naming the feed and line, an entry that is not an
 * address or CIDR, a prefix length of zero (it would match every address), a confidence outside
 * 0–1, and two feeds of the same name.
 */
export function compileAddressIntel(feeds: readonly Feed[]): AddressIntel {
  const table = new IndicatorTable();
  const names = new Set<string>();
  for (const feed of feeds) {
    if (typeof feed.name !== 'string' || feed.name.trim() === '') throw new InvalidIntelFeed('(feed)', `#${names.size + 1}`, 'needs a name');
    if (names.has(feed.name)) throw new InvalidIntelFeed(feed.name, '(feed)', 'is named twice; feed names must be unique');
    names.add(feed.name);
    const feedLabels = Object.freeze([...(feed.labels ?? [])]);
    feed.entries.forEach((entry, i) => table.add(feed.name, feedLabels, entry, entry.origin ?? `entry ${i + 1}`));
  }
  return table.compile();
}

/** A distinct indicator: its match, and what ranks it against others covering the same address. */
interface Ranked {
  match: IntelMatch;
  /** Prefix length in the address's own family: 32 or 128 for an address. */
  bits: number;
  /** IPv4: the network's first address. */
  first: number;
  /** IPv6: the network's key (ipv6NetworkKey); empty for IPv4. */
  key6: string;
}

/** Addresses `first`–`last` (inclusive), all of whose best covering network is indicator `best`. */
interface Ipv4Range {
  first: number;
  last: number;
  best: number;
}

class IndicatorTable {
  private readonly ranked: Ranked[] = [];
  /** Per distinct indicator (`<first>/<bits>` for IPv4, the network key for IPv6), its index in `ranked`. */
  private readonly byKey = new Map<string, number>();

  add(feed: string, feedLabels: readonly string[], entry: FeedEntry, origin: string): void {
    const indicator = typeof entry.indicator === 'string' ? entry.indicator.trim() : '';
    const refuse = (problem: string): never => {
      throw new InvalidIntelFeed(feed, origin, `"${String(entry.indicator)}" ${problem}`);
    };
    const { confidence } = entry;
    if (typeof confidence !== 'number' || !(confidence >= 0 && confidence <= 1)) refuse(`has confidence ${String(confidence)}, not a number from 0 to 1`);

    const parts = indicator.split('/');
    if (parts.length > 2) refuse('has more than one prefix length');
    const written = parts[0] ?? '';
    const address = canonicalOrUndefined(written);
    if (address === undefined) refuse('is not an address or CIDR');
    const family = isIP(address as string) === 4 ? 4 : 6;
    let bits = family === 4 ? 32 : 128;
    const prefix = parts[1];
    if (prefix !== undefined) {
      bits = /^\d{1,3}$/.test(prefix) ? Number(prefix) : Number.NaN;
      // `::ffff:203.0.113.0/120` is the IPv4 network 203.0.113.0/24.
      if (family === 4 && written.includes(':')) bits -= 96;
      if (!(bits >= 0 && bits <= (family === 4 ? 32 : 128))) refuse('has an invalid prefix length');
      if (bits === 0) refuse('has prefix length 0, which matches every address');
    }

    const first = family === 4 ? ipv4Network(parseIpv4(address as string), bits) : 0;
    const key6 = family === 6 ? ipv6NetworkKey(ipv6Words(address as string), bits) : '';
    const key = family === 4 ? `${first}/${bits}` : key6;
    const labels = entry.labels && entry.labels.length > 0 ? Object.freeze([...feedLabels, ...entry.labels.filter((l) => !feedLabels.includes(l))]) : feedLabels;
    const candidate: Ranked = { match: Object.freeze({ feed, indicator, confidence, labels }), bits, first, key6 };
    const existing = this.byKey.get(key);
    if (existing === undefined) {
      this.byKey.set(key, this.ranked.length);
      this.ranked.push(candidate);
    } else if (confidence > (this.ranked[existing] as Ranked).match.confidence) {
      // The same indicator named again (same or later feed): the more confident entry stands for it.
      this.ranked[existing] = candidate;
    }
  }

  compile(): AddressIntel {
    const matches = this.ranked.map((r) => r.match);
    const confidences = Float64Array.from(this.ranked, (r) => r.match.confidence);
    const lengths = Uint8Array.from(this.ranked, (r) => r.bits);
    /** Whether indicator `a` ranks before `b` for an address both cover. */
    const better = (a: number, b: number): boolean => {
      const x = confidences[a] as number;
      const y = confidences[b] as number;
      if (x !== y) return x > y;
      const bitsA = lengths[a] as number;
      const bitsB = lengths[b] as number;
      if (bitsA !== bitsB) return bitsA > bitsB;
      return a < b;
    };
    const pick = (a: number, b: number): number => (a < 0 ? b : b < 0 ? a : better(a, b) ? a : b);

    const v4Addresses: Array<[number, number]> = [];
    const v4Networks: Array<{ first: number; bits: number; index: number }> = [];
    /** IPv6 addresses are keyed as /128 networks. */
    const v6Addresses = new Map<string, number>();
    const v6Networks = new Map<string, number>();
    const v6Lengths = new Set<number>();
    // A loop, not forEach: a callback would put these in the context the lookup closures keep alive.
    for (let index = 0; index < this.ranked.length; index++) {
      const { bits, first, key6 } = this.ranked[index] as Ranked;
      if (key6 === '') {
        if (bits === 32) v4Addresses.push([first, index]);
        else v4Networks.push({ first, bits, index });
      } else if (bits === 128) {
        v6Addresses.set(key6, index);
      } else {
        v6Networks.set(key6, index);
        v6Lengths.add(bits);
      }
    }
    const exact4 = Ipv4HashTable.of(v4Addresses);
    const ranges = searchIpv4Ranges(flattenIpv4Networks(v4Networks, pick));
    const lengths6 = [...v6Lengths].sort((x, y) => y - x);

    const lookup4 = (value: number): IntelMatch | undefined => {
      let best = exact4.get(value);
      if (ranges.count > 0) best = pick(best, ranges.find(value));
      return best < 0 ? undefined : matches[best];
    };
    const lookup6 = (canonical: string): IntelMatch | undefined => {
      const words = ipv6Words(canonical);
      let best = v6Addresses.get(ipv6NetworkKey(words, 128)) ?? -1;
      for (const bits of lengths6) best = pick(best, v6Networks.get(ipv6NetworkKey(words, bits)) ?? -1);
      return best < 0 ? undefined : matches[best];
    };
    const hasV6 = v6Addresses.size > 0 || v6Networks.size > 0;

    return {
      size: matches.length,
      lookup(ip) {
        const value = parseIpv4(ip);
        if (value !== NOT_IPV4) return lookup4(value);
        const canonical = canonicalOrUndefined(ip);
        if (canonical === undefined) return undefined;
        if (!canonical.includes(':')) return lookup4(parseIpv4(canonical));
        return hasV6 ? lookup6(canonical) : undefined;
      },
    };
  }
}

/** canonicalAddress, but undefined for what `net.isIP` accepts and URL parsing does not (`fe80::1%eth0`). */
function canonicalOrUndefined(text: string): string | undefined {
  try {
    return canonicalAddress(text);
  } catch {
    return undefined;
  }
}

/**
 * IPv4 addresses to indicator indices: linear probing over typed arrays, so a lookup hashes one
 * integer and usually reads one slot, and 120,000 addresses take 2 MiB.
 */
class Ipv4HashTable {
  private constructor(
    private readonly keys: Int32Array,
    /** Indicator index + 1; 0 marks an empty slot (so 0.0.0.0 needs no special case). */
    private readonly values: Int32Array,
    private readonly shift: number,
  ) {}

  static of(entries: ReadonlyArray<readonly [number, number]>): Ipv4HashTable {
    let bits = 4;
    while (1 << bits < entries.length * 2) bits++;
    const table = new Ipv4HashTable(new Int32Array(1 << bits), new Int32Array(1 << bits), 32 - bits);
    for (const [address, index] of entries) table.insert(address | 0, index);
    return table;
  }

  private insert(key: number, index: number): void {
    const mask = this.keys.length - 1;
    let slot = Math.imul(key, 0x9e3779b1) >>> this.shift;
    while (this.values[slot] !== 0) slot = (slot + 1) & mask;
    this.keys[slot] = key;
    this.values[slot] = index + 1;
  }

  /** The indicator index for the address, or -1. */
  get(address: number): number {
    const key = address | 0;
    const mask = this.keys.length - 1;
    let slot = Math.imul(key, 0x9e3779b1) >>> this.shift;
    for (;;) {
      const value = this.values[slot] as number;
      if (value === 0) return -1;
      if (this.keys[slot] === key) return value - 1;
      slot = (slot + 1) & mask;
    }
  }
}

interface Ipv4Ranges {
  readonly count: number;
  /** The best indicator index covering the address, or -1. */
  find(address: number): number;
}

/**
 * CIDRs are nested or disjoint, never partly overlapping, so one sweep with a stack cuts them into
 * disjoint ranges, each labelled with the best network covering it (`pick` over the nesting).
 */
function flattenIpv4Networks(networks: ReadonlyArray<{ first: number; bits: number; index: number }>, pick: (a: number, b: number) => number): Ipv4Range[] {
  const sorted = [...networks].sort((a, b) => a.first - b.first || a.bits - b.bits);
  const out: Ipv4Range[] = [];
  const emit = (first: number, last: number, best: number): void => {
    if (first > last) return;
    const previous = out[out.length - 1];
    if (previous && previous.best === best && previous.last + 1 === first) previous.last = last;
    else out.push({ first, last, best });
  };
  const stack: Array<{ last: number; best: number }> = [];
  let cursor = 0;
  for (const network of sorted) {
    let top = stack[stack.length - 1];
    while (top && top.last < network.first) {
      emit(cursor, top.last, top.best);
      cursor = top.last + 1;
      stack.pop();
      top = stack[stack.length - 1];
    }
    if (top) emit(cursor, network.first - 1, top.best);
    cursor = network.first;
    stack.push({ last: network.first + ipv4NetworkSize(network.bits) - 1, best: top ? pick(top.best, network.index) : network.index });
  }
  for (let top = stack.pop(); top; top = stack.pop()) {
    emit(cursor, top.last, top.best);
    cursor = top.last + 1;
  }
  return out;
}

/** Bisection over the ranges, kept in typed arrays (the range objects are not kept). */
function searchIpv4Ranges(ranges: readonly Ipv4Range[]): Ipv4Ranges {
  const firsts = Uint32Array.from(ranges, (r) => r.first);
  const lasts = Uint32Array.from(ranges, (r) => r.last);
  const bests = Int32Array.from(ranges, (r) => r.best);
  return {
    count: firsts.length,
    find(address) {
      let low = 0;
      let high = firsts.length - 1;
      while (low <= high) {
        const mid = (low + high) >>> 1;
        if ((firsts[mid] as number) <= address) low = mid + 1;
        else high = mid - 1;
      }
      // `high` is the last range starting at or before the address.
      return high >= 0 && address <= (lasts[high] as number) ? (bests[high] as number) : -1;
    },
  };
}
