import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileAddressIntel, InvalidIntelFeed } from './address-intel';
import { parsePlainList, parseStixBundle } from './feed-formats';
import { bundle, indicator, INVALID_STIX, STIX_CASES, STIX_NOW } from './fixtures/stix-cases';

/** The head of ipsum.txt as published, then a few lines of other plain lists' habits. */
const IPSUM_HEAD = [
  '# IPsum Threat Intelligence Feed',
  '# (https://github.com/stamparm/ipsum)',
  '#',
  '# Last update: Sat, 22 Aug 2026 03:00:29 +0200',
  '#',
  '# IP\tnumber of (black)lists',
  '#',
  '198.51.100.20\t10',
  '198.51.100.21\t8',
  '198.51.100.22\t3',
  '198.51.100.23\t1',
  '',
].join('\n');

describe('parsePlainList', () => {
  it('reads ipsum, its count of lists as confidence: min(1, count / 8)', () => {
    const { feed, skipped } = parsePlainList(IPSUM_HEAD, { name: 'ipsum' });
    assert.deepEqual(feed, {
      name: 'ipsum',
      labels: [],
      entries: [
        { indicator: '198.51.100.20', confidence: 1, origin: 'line 8' },
        { indicator: '198.51.100.21', confidence: 1, origin: 'line 9' },
        { indicator: '198.51.100.22', confidence: 0.375, origin: 'line 10' },
        { indicator: '198.51.100.23', confidence: 0.125, origin: 'line 11' },
      ],
    });
    assert.deepEqual(skipped, {});
  });

  it('reaches full confidence at the count it is told', () => {
    const { feed } = parsePlainList('198.51.100.1\t1\n198.51.100.2\t2\n198.51.100.3\t4\n', { name: 'ipsum', fullConfidenceCount: 2 });
    assert.deepEqual(
      feed.entries.map((e) => e.confidence),
      [0.5, 1, 1],
    );
  });

  it('reads a Tor exit list with CRLF endings, giving every entry the feed labels and full confidence', () => {
    const { feed } = parsePlainList('192.0.2.1\r\n192.0.2.2\r\n2001:db8::1\r\n', { name: 'tor-exits', labels: ['tor'] });
    assert.deepEqual(feed, {
      name: 'tor-exits',
      labels: ['tor'],
      entries: [
        { indicator: '192.0.2.1', confidence: 1, origin: 'line 1' },
        { indicator: '192.0.2.2', confidence: 1, origin: 'line 2' },
        { indicator: '2001:db8::1', confidence: 1, origin: 'line 3' },
      ],
    });
  });

  it('reads CIDRs with # and ; comments and free-text columns, as FireHOL and Spamhaus DROP write them', () => {
    const text = ['; Spamhaus DROP List', '198.51.100.0/24 ; SBL123', '  203.0.113.0/25   # scanners', '2001:db8::/32 first-seen 2026-01-01', '', '   '].join('\n');
    const { feed } = parsePlainList(text, { name: 'drop', confidence: 0.9 });
    assert.deepEqual(feed.entries, [
      { indicator: '198.51.100.0/24', confidence: 0.9, origin: 'line 2' },
      { indicator: '203.0.113.0/25', confidence: 0.9, origin: 'line 3' },
      { indicator: '2001:db8::/32', confidence: 0.9, origin: 'line 4' },
    ]);
  });

  it('skips and counts entries no list names (a count of 0)', () => {
    const { feed, skipped } = parsePlainList('198.51.100.1\t0\n198.51.100.2\t2\n', { name: 'ipsum' });
    assert.deepEqual(
      feed.entries.map((e) => e.indicator),
      ['198.51.100.2'],
    );
    assert.deepEqual(skipped, { 'zero-count': 1 });
  });

  it('leaves malformed lines for the compiler, which names the feed and line', () => {
    const { feed } = parsePlainList('198.51.100.1\n198.51.100.256\t2\n', { name: 'ipsum' });
    assert.throws(() => compileAddressIntel([feed]), { name: 'InvalidIntelFeed', message: 'ipsum line 2: "198.51.100.256" is not an address or CIDR' });
  });
});

describe('parseStixBundle', () => {
  for (const { name, objects, expect } of STIX_CASES) {
    it(name, () => {
      const { feed, skipped } = parseStixBundle(bundle(objects), { name: 'threat-feed', now: STIX_NOW });
      assert.deepEqual(feed, { name: 'threat-feed', labels: [], entries: expect.entries });
      assert.deepEqual(skipped, expect.skipped);
    });
  }

  it('names every case differently', () => {
    const names = STIX_CASES.map((c) => c.name);
    assert.deepEqual(names, [...new Set(names)]);
  });

  it('gives indicators without a confidence the default it is told, and every entry the feed labels', () => {
    const { feed } = parseStixBundle(bundle([indicator('plain', "[ipv4-addr:value = '198.51.100.1']")]), { name: 'cert', labels: ['cert'], now: STIX_NOW, confidence: 0.4 });
    assert.deepEqual(feed, { name: 'cert', labels: ['cert'], entries: [{ indicator: '198.51.100.1', confidence: 0.4, origin: 'indicator--plain' }] });
  });

  it('reads an empty bundle and one without objects as a feed with no entries', () => {
    assert.deepEqual(parseStixBundle(bundle([]), { name: 'x', now: STIX_NOW }).feed.entries, []);
    assert.deepEqual(parseStixBundle('{"type":"bundle","id":"bundle--1"}', { name: 'x', now: STIX_NOW }).feed.entries, []);
  });

  for (const { rule, text, message } of INVALID_STIX) {
    it(`refuses a bundle that breaks "${rule}", naming the feed and the indicator`, () => {
      assert.throws(
        () => parseStixBundle(text, { name: 'threat-feed', now: STIX_NOW }),
        (err: unknown) => {
          assert.ok(err instanceof InvalidIntelFeed, `threw ${String(err)}`);
          assert.equal(err.message, message);
          return true;
        },
      );
    });
  }

  it('refuses text that is not JSON, naming the feed', () => {
    assert.throws(() => parseStixBundle('{"type": "bundle", ', { name: 'threat-feed', now: STIX_NOW }), { name: 'InvalidIntelFeed', message: /^threat-feed \(bundle\): is not JSON: / });
  });

  it('leaves a malformed address for the compiler, which names the feed and the indicator', () => {
    const { feed } = parseStixBundle(bundle([indicator('typo', "[ipv4-addr:value = '198.51.100.300']")]), { name: 'threat-feed', now: STIX_NOW });
    assert.throws(() => compileAddressIntel([feed]), { name: 'InvalidIntelFeed', message: 'threat-feed indicator--typo: "198.51.100.300" is not an address or CIDR' });
  });

  it('compiles to intel that matches the indicators and not the skipped ones', () => {
    const { feed } = parseStixBundle(
      bundle([
        indicator('live', "[ipv4-addr:value = '198.51.100.0/24' OR ipv6-addr:value = '2001:db8::bad']", { confidence: 70, indicator_types: ['malicious-activity'] }),
        indicator('dead', "[ipv4-addr:value = '203.0.113.1']", { valid_until: '2026-11-01T00:00:00Z' }),
      ]),
      { name: 'threat-feed', now: STIX_NOW },
    );
    const intel = compileAddressIntel([feed]);
    assert.deepEqual(intel.lookup('198.51.100.99'), { feed: 'threat-feed', indicator: '198.51.100.0/24', confidence: 0.7, labels: ['malicious-activity'] });
    assert.equal(intel.lookup('2001:DB8::BAD')?.indicator, '2001:db8::bad');
    assert.equal(intel.lookup('203.0.113.1'), undefined);
  });
});
