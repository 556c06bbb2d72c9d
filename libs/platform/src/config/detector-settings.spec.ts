import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { compileDetectors } from '@ratchet/detection';
import { describeLoadedFeed, readDetectorConfig } from './detector-settings';

const FIXTURES = join(__dirname, 'fixtures');
const fixture = (name: string): string => join(FIXTURES, name);
/** The day the fixtures' STIX bundle is read: its retired indicator expired three weeks before. */
const NOW = Date.parse('2026-11-24T10:00:00Z');

function refusal(env: Record<string, string>): string {
  try {
    readDetectorConfig(env, NOW);
  } catch (err) {
    assert.ok(err instanceof Error);
    assert.equal((err as { code?: string }).code, 'CONFIG.INVALID');
    return err.message;
  }
  assert.fail('the configuration was accepted');
}

describe('readDetectorConfig', () => {
  it('answers no settings and no feeds when nothing is configured', () => {
    assert.deepEqual(readDetectorConfig({}, NOW), { settings: {}, feeds: [] });
  });

  it('reads per-detector settings from the RATCHET_DETECTORS file, false disabling a detector', () => {
    const { settings } = readDetectorConfig({ RATCHET_DETECTORS: fixture('detectors.json') }, NOW);
    assert.deepEqual(settings, { 'auth.brute-force': { threshold: 30, window: '10m' }, 'auth.password-spray': false });
    assert.ok(!compileDetectors(settings).some((d) => d.id === 'auth.password-spray'));
  });

  it('loads ipsum, plain and STIX blocklists, counting indicators and what each feed skipped', () => {
    const { settings, feeds } = readDetectorConfig(
      { RATCHET_INTEL_BLOCKLISTS: `ipsum:${fixture('ipsum.txt')}, plain:${fixture('firehol-level1.txt')},stix:${fixture('indicators.stix.json')}` },
      NOW,
    );
    assert.deepEqual(
      feeds.map(({ name, format, indicators, skipped, detector }) => ({ name, format, indicators, skipped, detector })),
      [
        { name: 'ipsum.txt', format: 'ipsum', indicators: 3, skipped: { 'zero-count': 1 }, detector: 'intel.blocklisted-address' },
        { name: 'firehol-level1.txt', format: 'plain', indicators: 2, skipped: {}, detector: 'intel.blocklisted-address' },
        { name: 'indicators.stix.json', format: 'stix', indicators: 2, skipped: { 'not-an-indicator': 1, expired: 1, 'non-ip-pattern': 1 }, detector: 'intel.blocklisted-address' },
      ],
    );
    const blocklist = settings['intel.blocklisted-address'] as { feeds: Array<{ name: string; entries: Array<{ indicator: string; confidence: number }> }> };
    assert.deepEqual(blocklist.feeds[0]?.entries.map((e) => [e.indicator, e.confidence]), [
      ['198.51.100.66', 1],
      ['198.51.100.67', 0.5],
      ['198.51.100.68', 0.125],
    ]);
    assert.deepEqual(blocklist.feeds[2]?.entries.map((e) => [e.indicator, e.confidence]), [
      ['192.0.2.77', 0.85],
      ['198.51.100.192/27', 0.85],
    ]);
  });

  it('labels a plain list given as anonymizers so that intel.anonymizer counts it', () => {
    const { settings, feeds } = readDetectorConfig({ RATCHET_INTEL_ANONYMIZERS: `plain:${fixture('tor-exits.txt')}` }, NOW);
    assert.equal(feeds[0]?.indicators, 3);
    assert.deepEqual((settings['intel.anonymizer'] as { feeds: Array<{ labels: string[] }> }).feeds[0]?.labels, ['anonymizer']);
    assert.ok(compileDetectors(settings).some((d) => d.id === 'intel.anonymizer'));
  });

  it('adds feeds to the settings the file gives the same detector', () => {
    const { settings } = readDetectorConfig(
      { RATCHET_DETECTORS: fixture('detectors.json'), RATCHET_INTEL_ANONYMIZERS: `plain:${fixture('tor-exits.txt')}`, RATCHET_INTEL_BLOCKLISTS: `ipsum:${fixture('ipsum.txt')}` },
      NOW,
    );
    assert.deepEqual(Object.keys(settings).sort(), ['auth.brute-force', 'auth.password-spray', 'intel.anonymizer', 'intel.blocklisted-address']);
    assert.deepEqual(settings['auth.brute-force'], { threshold: 30, window: '10m' });
  });

  it('describes a loaded feed for the start-up log', () => {
    const { feeds } = readDetectorConfig({ RATCHET_INTEL_BLOCKLISTS: `ipsum:${fixture('ipsum.txt')}` }, NOW);
    assert.equal(
      describeLoadedFeed(feeds[0] as (typeof feeds)[number]),
      `RATCHET_INTEL_BLOCKLISTS: ipsum.txt (ipsum, ${fixture('ipsum.txt')}): 3 indicators for intel.blocklisted-address; skipped 1 zero-count`,
    );
  });
});

describe('readDetectorConfig refusals', () => {
  it('names the variable and the file it cannot read', () => {
    assert.match(refusal({ RATCHET_DETECTORS: fixture('absent.json') }), /^RATCHET_DETECTORS: cannot read .*absent\.json: ENOENT/);
  });

  it('names the file, line and column of a settings file that is not JSON', () => {
    assert.match(refusal({ RATCHET_DETECTORS: fixture('detectors-not-json.json') }), /^RATCHET_DETECTORS: .*detectors-not-json\.json line 4 column 1: is not JSON: /);
  });

  it('names the file, detector and field of an invalid setting', () => {
    assert.equal(
      refusal({ RATCHET_DETECTORS: fixture('detectors-bad-threshold.json') }),
      `RATCHET_DETECTORS: ${fixture('detectors-bad-threshold.json')}: auth.brute-force.threshold: must be a whole number of at least 1`,
    );
  });

  it('names the variable, file and line of a feed entry that is not an address', () => {
    assert.equal(
      refusal({ RATCHET_INTEL_BLOCKLISTS: `plain:${fixture('blocklist-bad-address.txt')}` }),
      `RATCHET_INTEL_BLOCKLISTS: ${fixture('blocklist-bad-address.txt')} line 3: "198.51.100.999" is not an address or CIDR`,
    );
  });

  it('refuses a feed without a known format', () => {
    assert.equal(
      refusal({ RATCHET_INTEL_BLOCKLISTS: `csv:${fixture('ipsum.txt')}` }),
      `RATCHET_INTEL_BLOCKLISTS: "csv:${fixture('ipsum.txt')}" must be <format>:<path> with format one of plain, ipsum, stix`,
    );
    assert.match(refusal({ RATCHET_INTEL_ANONYMIZERS: fixture('tor-exits.txt') }), /^RATCHET_INTEL_ANONYMIZERS: ".*" must be <format>:<path>/);
  });

  it('refuses a JSON file given as a STIX bundle that is not one', () => {
    assert.equal(
      refusal({ RATCHET_INTEL_BLOCKLISTS: `stix:${fixture('detectors.json')}` }),
      `RATCHET_INTEL_BLOCKLISTS: ${fixture('detectors.json')} (bundle): is not a STIX bundle: "type" must be "bundle"`,
    );
  });

  it('refuses two feeds with the same file name, which would share a name in evidence', () => {
    assert.match(
      refusal({ RATCHET_INTEL_BLOCKLISTS: `ipsum:${fixture('ipsum.txt')},plain:${fixture('ipsum.txt')}` }),
      /^RATCHET_INTEL_BLOCKLISTS: two feeds are named ipsum\.txt/,
    );
  });

  it('refuses feeds for a detector the settings file disables', () => {
    assert.equal(
      refusal({ RATCHET_DETECTORS: fixture('detectors-disable-blocklist.json'), RATCHET_INTEL_BLOCKLISTS: `ipsum:${fixture('ipsum.txt')}` }),
      `RATCHET_INTEL_BLOCKLISTS: gives feeds to intel.blocklisted-address, which ${fixture('detectors-disable-blocklist.json')} disables`,
    );
  });
});
