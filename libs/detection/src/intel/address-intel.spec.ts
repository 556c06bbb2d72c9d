import assert from 'node:assert/strict';
import { BlockList, isIP } from 'node:net';
import { describe, it } from 'node:test';
import { seededRandom } from '@ratchet/testing';
import { compileAddressIntel, InvalidIntelFeed, type Feed, type FeedEntry } from './address-intel';
import { INVALID_FEEDS, LOOKUP_CASES, LOOKUP_FEEDS } from './fixtures/lookup-cases';

describe('compileAddressIntel lookups', () => {
  const intel = compileAddressIntel(LOOKUP_FEEDS);

  for (const { name, ip, expect } of LOOKUP_CASES) {
    it(`${name} (${ip.trim()})`, () => {
      const match = intel.lookup(ip);
      assert.deepEqual(match === undefined ? undefined : { ...match, labels: [...match.labels] }, expect);
    });
  }

  it('names every case differently', () => {
    const names = LOOKUP_CASES.map((c) => c.name);
    assert.deepEqual(names, [...new Set(names)]);
  });

  it('counts distinct indicators, once however many feeds name them', () => {
    const entries = LOOKUP_FEEDS.reduce((n, f) => n + f.entries.length, 0);
    // 203.0.113.9, 198.18.9.9 and 198.18.0.8 are each named by two feeds.
    assert.equal(intel.size, entries - 3);
  });

  it('answers the same frozen match object for every address an indicator covers', () => {
    const first = intel.lookup('198.51.7.1');
    assert.ok(first);
    assert.equal(intel.lookup('198.51.200.200'), first);
    assert.ok(Object.isFrozen(first) && Object.isFrozen(first.labels));
  });

  it('answers nothing for anything when compiled from no feeds', () => {
    const empty = compileAddressIntel([]);
    assert.equal(empty.size, 0);
    assert.equal(empty.lookup('198.51.100.7'), undefined);
    assert.equal(empty.lookup('2001:db8::1'), undefined);
  });

  it('matches an address written with a prefix length of 32 or 128 like the bare address', () => {
    const intel32 = compileAddressIntel([{ name: 'f', entries: [{ indicator: '192.0.2.1/32', confidence: 1 }, { indicator: '2001:db8::1/128', confidence: 1 }] }]);
    assert.equal(intel32.lookup('192.0.2.1')?.indicator, '192.0.2.1/32');
    assert.equal(intel32.lookup('192.0.2.2'), undefined);
    assert.equal(intel32.lookup('2001:db8:0::1')?.indicator, '2001:db8::1/128');
  });

  it('reads a network written with host bits set as the network holding them', () => {
    const loose = compileAddressIntel([{ name: 'f', entries: [{ indicator: '192.0.2.77/24', confidence: 1 }] }]);
    assert.equal(loose.lookup('192.0.2.1')?.indicator, '192.0.2.77/24');
    assert.equal(loose.lookup('192.0.3.1'), undefined);
  });
});

describe('compileAddressIntel refusals', () => {
  for (const { rule, feeds, message } of INVALID_FEEDS) {
    it(`refuses feeds that break "${rule}", naming the feed and line`, () => {
      assert.throws(
        () => compileAddressIntel(feeds),
        (err: unknown) => {
          assert.ok(err instanceof InvalidIntelFeed, `threw ${String(err)}`);
          assert.equal(err.code, 'DETECTION.INVALID_INTEL_FEED');
          assert.equal(err.message, message);
          return true;
        },
      );
    });
  }
});

/** The best entry covering `ip`, by brute force over net.BlockList, one list per entry. */
function bruteForceBest(entries: ReadonlyArray<FeedEntry & { bits: number; list: BlockList }>, ip: string): FeedEntry | undefined {
  const family = isIP(ip) === 4 ? 'ipv4' : 'ipv6';
  let best: (typeof entries)[number] | undefined;
  for (const entry of entries) {
    if (!entry.list.check(ip, family)) continue;
    if (!best || entry.confidence > best.confidence || (entry.confidence === best.confidence && entry.bits > best.bits)) best = entry;
  }
  return best;
}

describe('compileAddressIntel against net.BlockList', () => {
  for (const family of ['ipv4', 'ipv6'] as const) {
    it(`answers the best covering entry for random nested ${family} networks, as brute force over net.BlockList does`, () => {
      const next = seededRandom(family === 'ipv4' ? 4 : 6);
      const int = (n: number): number => Math.floor(next() * n);
      // Addresses in a narrow space, so networks nest and overlap often: 10.0.x.y, 2001:db8::x:y.
      const address = (): string => (family === 'ipv4' ? `10.0.${int(4)}.${int(256)}` : `2001:db8::${int(4).toString(16)}:${int(65536).toString(16)}`);
      const maxBits = family === 'ipv4' ? 32 : 128;
      const minBits = family === 'ipv4' ? 22 : 118;
      // Distinct networks only: which of two spellings of one network comes first is no ranking rule.
      const distinct: Array<FeedEntry & { bits: number; list: BlockList }> = [];
      while (distinct.length < 150) {
        const bits = minBits + int(maxBits - minBits + 1);
        const base = address();
        if (distinct.some((e) => e.bits === bits && e.list.check(base, family))) continue;
        const list = new BlockList();
        list.addSubnet(base, bits, family);
        distinct.push({ indicator: `${base}/${bits}`, confidence: [0.25, 0.5, 0.75, 1][int(4)] as number, bits, list });
      }
      const feed: Feed = { name: 'random', entries: distinct.map(({ indicator, confidence }) => ({ indicator, confidence })) };
      const intel = compileAddressIntel([feed]);
      assert.equal(intel.size, distinct.length);
      const answers = new Set<string | undefined>();
      for (let i = 0; i < 3_000; i++) {
        // Half the time the first address of a network, so that the longest networks are hit too.
        const ip = i % 2 === 0 ? address() : (distinct[int(distinct.length)]?.indicator.split('/')[0] as string);
        const expected = bruteForceBest(distinct, ip);
        assert.equal(intel.lookup(ip)?.indicator, expected?.indicator, `lookup(${ip})`);
        answers.add(expected?.indicator);
      }
      assert.ok(answers.size > 40, `only ${answers.size} different answers: the networks hardly nest`);
    });
  }
});
