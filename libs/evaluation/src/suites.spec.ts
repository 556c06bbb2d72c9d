import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { AuthEvent, RiskSignal } from '@ratchet/contracts';
import { bindDetector, bruteForceDetector, compileDetectors, parsePlainList, type Detector } from '@ratchet/detection';
import { createEnricher, openGeoDatabase } from '@ratchet/enrichment';
import { MemoryStateStore } from '@ratchet/testing';
import { evaluateCrowdsec, readAlertScopes, readScenarioAssert } from './crowdsec.suite';
import type { DatasetFiles } from './dataset-files.port';
import { UnreadableDataset } from './dataset-error';
import { evaluateFail2ban, sameTime } from './fail2ban.suite';
import { evaluateFalco } from './falco.suite';
import type { CrowdsecCase, FalcoRuleMapping, IndicatorEvidence } from './mappings';
import { evaluatePanther } from './panther.suite';
import { defaultReplayEnvironment, type ReplayEnvironment } from './replay';
import { buildReport, renderReport } from './report';
import type { SuiteResult } from './tally';

const FIXTURES = join(__dirname, 'fixtures');

/** The fixture folders as the suites read datasets: missing files are undefined. */
function fixtureFiles(dir: string): DatasetFiles {
  const root = join(FIXTURES, dir);
  return {
    read: (path) => {
      try {
        return readFileSync(join(root, path), 'utf8');
      } catch {
        return undefined;
      }
    },
    list: (sub) => {
      try {
        return readdirSync(join(root, sub)).sort();
      } catch {
        return [];
      }
    },
  };
}

const env = (detectors: ReplayEnvironment['detectors'], signalTypes: readonly string[]): ReplayEnvironment => ({
  ...defaultReplayEnvironment((clock) => new MemoryStateStore(clock)),
  detectors,
  signalTypes: new Set(signalTypes),
});

const row = (result: SuiteResult, indicator: string): { tp: number; fp: number; fn: number } => {
  const found = result.rows.find((r) => r.indicator === indicator);
  assert.ok(found, `row ${indicator} in ${result.rows.map((r) => r.indicator).join(', ')}`);
  return { tp: found.tp, fp: found.fp, fn: found.fn };
};

const BRUTE_FORCE: IndicatorEvidence = { indicator: 'brute_force', signals: ['brute_force'] };

describe('crowdsec-hub suite', () => {
  const bruteForceOnly = env([bindDetector(bruteForceDetector, bruteForceDetector.compile({ threshold: 20, window: '5m' }))], ['brute_force']);
  const cases: CrowdsecCase[] = [
    { test: 'login-bf', scenario: 'crowdsecurity/http-generic-bf', sources: ['nginx-access', 'nginx-error'], expect: BRUTE_FORCE },
    { test: 'quiet-browsing', scenario: '(none)', sources: ['nginx-access'] },
  ];

  it('counts an expected source Ratchet flags as a hit and one it does not as a miss with what it read', async () => {
    const result = await evaluateCrowdsec(fixtureFiles('crowdsec-hub'), bruteForceOnly, cases);
    assert.deepEqual(row(result, 'brute_force'), { tp: 1, fp: 0, fn: 1 });
    const [miss] = result.misses;
    assert.equal(miss?.subject, '192.0.2.99');
    assert.match(miss?.why ?? '', /not flagged \(27 lines: 27 events; signals fired: brute_force\)/);
  });

  it('keeps a must-stay-quiet test quiet and reports the line no source could read', async () => {
    const result = await evaluateCrowdsec(fixtureFiles('crowdsec-hub'), bruteForceOnly, cases);
    assert.deepEqual(row(result, 'quiet'), { tp: 0, fp: 0, fn: 0 });
    assert.ok(result.notes.some((n) => n.startsWith('quiet-browsing: 3 lines: 2 events, 1 refused (first: nginx-access:')));
  });

  it('reports a test whose source is not in the catalogue as unsupported and counts its expected sources as misses', async () => {
    const result = await evaluateCrowdsec(fixtureFiles('crowdsec-hub'), bruteForceOnly, [{ ...cases[0], sources: ['lighttpd'] } as CrowdsecCase]);
    assert.deepEqual(row(result, 'brute_force'), { tp: 0, fp: 0, fn: 2 });
    assert.ok(result.misses.every((m) => m.why === 'unsupported: no source "lighttpd" in the catalogue'));
  });

  it('reports an indicator no detector emits as unsupported', async () => {
    const result = await evaluateCrowdsec(fixtureFiles('crowdsec-hub'), env([], []), [{ ...cases[0], expect: { indicator: 'http_probing', signals: ['http_probing'] } } as CrowdsecCase]);
    assert.deepEqual(row(result, 'http_probing'), { tp: 0, fp: 0, fn: 2 });
    assert.equal(result.misses[0]?.why, 'unsupported: no detector emits http_probing');
  });

  it('enriches events as the collector does when given an enricher, so impossible travel can fire', async () => {
    // MaxMind's test City database (libs/enrichment fixtures): 81.2.69.142 is London, 216.160.83.56 Milton (US).
    const city = openGeoDatabase(readFileSync(join(__dirname, '..', '..', 'enrichment', 'src', 'fixtures', 'GeoLite2-City.mmdb')), 'location', 'test');
    const travel: CrowdsecCase[] = [{ test: 'travel', scenario: 'crowdsecurity/impossible-travel', sources: ['sshd'], expect: { indicator: 'impossible_travel', signals: ['impossible_travel'] } }];
    const detectors = compileDetectors().filter((d) => d.id === 'auth.impossible-travel');
    const withGeo = { ...env(detectors, ['impossible_travel']), enricher: createEnricher({ location: city }) };
    assert.deepEqual(row(await evaluateCrowdsec(fixtureFiles('crowdsec-hub'), withGeo, travel), 'impossible_travel'), { tp: 2, fp: 0, fn: 0 });
    assert.deepEqual(row(await evaluateCrowdsec(fixtureFiles('crowdsec-hub'), env(detectors, ['impossible_travel']), travel), 'impossible_travel'), { tp: 0, fp: 0, fn: 2 });
  });

  it('reads the expected alert sources from scenario.assert, one spelling per address', () => {
    const text = 'len(results) == 2\n"::ffff:10.0.0.1" in results[0].Overflow.GetSources()\n"alice" in results[1].Overflow.GetSources()\n';
    assert.deepEqual([...readScenarioAssert(text)], ['10.0.0.1', 'alice']);
    assert.equal(readScenarioAssert(undefined).size, 0);
  });

  it('reads the scopes the alert sources are checked in, so the user behind an address signal is not a false positive', () => {
    const text = '"vagrant" in results[0].Overflow.GetSources()\nresults[0].Overflow.Sources["vagrant"].GetScope() == "username"\n';
    assert.deepEqual([...readAlertScopes(text)], ['username']);
    assert.equal(readAlertScopes(undefined).size, 0);
  });

  it('refuses a dataset without tests as unreadable', async () => {
    await assert.rejects(evaluateCrowdsec(fixtureFiles('fail2ban'), bruteForceOnly, cases), UnreadableDataset);
  });
});

describe('panther suite', () => {
  const torExits = parsePlainList('198.51.100.77\n', { name: 'tor-exits', labels: ['tor'] }).feed;
  const withFeed = env(compileDetectors({ 'intel.anonymizer': { feeds: [torExits] }, 'intel.blocklisted-address': false, 'auth.brute-force': false, 'auth.password-spray': false }), ['anonymizer_login']);
  const rules: Record<string, IndicatorEvidence> = {
    'Okta.Anonymizing.VPN.Login': { indicator: 'anonymizer', signals: ['anonymizer_login'] },
    'Test.Token.Reuse': { indicator: 'token_reuse', signals: ['token_reuse'], facts: ['token-reuse'] },
  };
  const text = readFileSync(join(FIXTURES, 'panther', 'panther-tests.jsonl'), 'utf8');

  it("compares Ratchet's verdict on each single event with the rule test's expectation", async () => {
    const result = await evaluatePanther(text, withFeed, 'panther-tests.jsonl', rules);
    assert.deepEqual(row(result, 'anonymizer'), { tp: 1, fp: 0, fn: 0 });
    // The IdP's own verdict (the `token-reuse` fact on the event) counts as detected.
    assert.deepEqual(row(result, 'token_reuse'), { tp: 1, fp: 0, fn: 0 });
  });

  it("counts every Okta record that normalises, a record without a time read at Panther's default p_event_time", async () => {
    const result = await evaluatePanther(text, withFeed, 'panther-tests.jsonl', rules);
    assert.deepEqual(row(result, 'parse Okta.SystemLog'), { tp: 4, fp: 0, fn: 0 });
    assert.equal(result.misses.find((m) => m.indicator === 'parse Okta.SystemLog'), undefined);
    assert.ok(result.notes.some((n) => n.includes('1 records of other log types and unmapped rules were not read')));
  });

  it('refuses a line that is not JSON as unreadable, naming the line', async () => {
    await assert.rejects(evaluatePanther(`${text}{oops\n`, withFeed, 'p.jsonl', rules), /p\.jsonl:6: not JSON/);
  });
});

describe('fail2ban suite', () => {
  const cases = [{ filter: 'nginx-http-auth', sources: ['nginx-error'], match: 'failure', yearless: false }] as const;

  it("checks each labelled line's failure, address and time, and only labelled lines", async () => {
    const result = await evaluateFail2ban(fixtureFiles('fail2ban'), env([], []), cases);
    assert.deepEqual(row(result, 'nginx-http-auth'), { tp: 2, fp: 0, fn: 1 });
    const whys = result.misses.map((m) => `${m.subject}: ${m.why}`);
    assert.match(whys[0] ?? '', /^nginx-http-auth:10: time 2026-03-02T09:14:00Z, expected 2026-03-02T09:20:00/);
    // a host name fail2ban would resolve is not scored: an AuthEvent keeps addresses only
    assert.ok(result.notes.includes('nginx-http-auth: 1 labelled lines not counted: the host is a name or a spelling that is not an IP address: Ratchet keeps client addresses only'));
  });

  it("accepts fail2ban's Zurich wall clock for a line with an offset and compares syslog times without the year", () => {
    const ts = Date.parse('2018-11-18T21:34:34Z');
    assert.equal(sameTime(ts, '2018-11-18T22:34:34', false), true);
    assert.equal(sameTime(ts, '2018-11-18T21:34:34', false), true);
    assert.equal(sameTime(ts, '2018-11-18T23:34:34', false), false);
    assert.equal(sameTime(Date.parse('2026-11-14T22:45:11Z'), '2004-11-14T22:45:11', true), true);
    assert.equal(sameTime(Date.parse('2026-11-14T22:45:11Z'), '2004-11-14T22:45:11', false), false);
  });
});

describe('falco suite', () => {
  /** A stand-in for the planned `k8s.exec` detector: the harness is under test here, not the detector. */
  const execStandIn: Detector<undefined> = {
    id: 'test.k8s-exec',
    signalType: 'k8s_exec',
    summary: 'exec into a pod',
    defaults: undefined,
    stateless: true,
    compile: () => undefined,
    plan: () => [],
    detect: (event: AuthEvent): RiskSignal[] =>
      event.target?.service === 'pods/exec'
        ? [{ v: 1, id: `x|${event.id}`, type: 'k8s_exec', detector: 'test.k8s-exec', entity: `user:${event.principal?.id ?? ''}`, severity: 1, confidence: 1, at: event.ts, evidence: {}, eventIds: [event.id] }]
        : [],
  };
  const rules: Record<string, FalcoRuleMapping> = {
    'Attach/Exec Pod': { indicator: 'k8s_exec', signals: ['k8s_exec'] },
    'K8s Deployment Created': { outOfScope: 'activity' },
  };

  it('scores mapped rules, lists the others as out of scope, and checks must-not tests against every mapped indicator', async () => {
    const result = await evaluateFalco(fixtureFiles('falco'), env([bindDetector(execStandIn, undefined)], ['k8s_exec']), rules);
    assert.deepEqual(row(result, 'k8s_exec'), { tp: 1, fp: 0, fn: 0 });
    // The must-not test that loads a site's trust list tests that list: out of scope, not an FP.
    assert.deepEqual(result.misses, []);
    assert.deepEqual(result.notes, [
      '4 tests (2 detect, 2 must not); 1 scored',
      'out of scope — activity: K8s Deployment Created',
      'out of scope — a site allow-list Falco loaded (Falco loaded trust_bob.yaml), which Ratchet expresses as detector settings: read_pod',
      'out of scope — a site allow-list Falco loaded (Falco loaded trust_alice.yaml), which Ratchet expresses as detector settings: exec_trusted',
    ]);
  });

  it('fails naming the test file when it is missing', async () => {
    await assert.rejects(evaluateFalco(fixtureFiles('panther'), env([], []), rules), /falco_k8s_audit_tests\.yaml: not found/);
  });
});

describe('report', () => {
  it('prints one table row per suite and indicator with precision and recall, the replay\'s notes, then the misses', () => {
    const text = renderReport(
      buildReport([
        {
          suite: 'fail2ban',
          rows: [{ suite: 'fail2ban', indicator: 'sshd', tp: 3, fp: 1, fn: 1, precision: 0.75, recall: 0.75 }],
          misses: [{ suite: 'fail2ban', case: 'sshd', indicator: 'sshd', kind: 'FN', subject: 'sshd:4', why: 'refused: sshd: no address' }],
          notes: [],
        },
      ], ['enrichment: no client.geo: RATCHET_GEOIP_CITY_DB is unset']),
    );
    assert.match(text, /^suite +indicator +TP +FP +FN +precision +recall\n/);
    assert.match(text, /fail2ban +sshd +3 +1 +1 +75\.0% +75\.0%/);
    assert.match(text, /FN sshd sshd: sshd:4 — refused: sshd: no address/);
    assert.match(text, /fail2ban +total +3 +1 +1 +75\.0% +75\.0%\n\nnote: enrichment: no client\.geo: RATCHET_GEOIP_CITY_DB is unset\n\n== fail2ban/);
  });

  it('totals each suite over its indicators, micro-averaged, after its rows and in the JSON', () => {
    const row = (suite: string, indicator: string, tp: number, fp: number, fn: number) => ({ suite, indicator, tp, fp, fn, precision: tp + fp === 0 ? null : tp / (tp + fp), recall: tp + fn === 0 ? null : tp / (tp + fn) });
    const report = buildReport([
      { suite: 'crowdsec-hub', rows: [row('crowdsec-hub', 'brute_force', 29, 0, 2), row('crowdsec-hub', 'sensitive_path', 3, 1, 1), row('crowdsec-hub', 'quiet', 0, 0, 0)], misses: [], notes: [] },
      { suite: 'falco', rows: [row('falco', 'k8s_exec', 2, 0, 0)], misses: [], notes: [] },
      { suite: 'panther', rows: [row('panther', 'mfa_fatigue', 0, 0, 0)], misses: [], notes: [] },
    ]);
    assert.deepEqual(report.totals, [
      { suite: 'crowdsec-hub', indicator: 'total', tp: 32, fp: 1, fn: 3, precision: 32 / 33, recall: 32 / 35 },
      { suite: 'falco', indicator: 'total', tp: 2, fp: 0, fn: 0, precision: 1, recall: 1 },
      { suite: 'panther', indicator: 'total', tp: 0, fp: 0, fn: 0, precision: null, recall: null },
    ]);
    // Per-indicator rows stay as they were: a consumer of `summary` sees no total among them.
    assert.deepEqual(report.summary.map((r) => r.indicator), ['brute_force', 'sensitive_path', 'quiet', 'k8s_exec', 'mfa_fatigue']);
    const table = renderReport(report).split('\n\n')[0]?.split('\n').slice(2).map((line) => line.split(/ +/).slice(0, 2).join(' '));
    assert.deepEqual(table, ['crowdsec-hub brute_force', 'crowdsec-hub sensitive_path', 'crowdsec-hub quiet', 'crowdsec-hub total', 'falco k8s_exec', 'falco total', 'panther mfa_fatigue', 'panther total']);
    assert.match(renderReport(report), /crowdsec-hub +total +32 +1 +3 +97\.0% +91\.4%\n/);
  });
});
