import type { AuthEvent } from '@ratchet/contracts';
import { canonicalAddress } from '@ratchet/kernel';
import type { DatasetFiles } from './dataset-files.port';
import { isRecord, readYaml, UnreadableDataset } from './dataset-error';
import { CROWDSEC_CASES, type CrowdsecCase } from './mappings';
import { detectAll, flaggedEntities, missingDetector, normaliseEntity, RecordReader, type RecordOutcome, type ReplayEnvironment } from './replay';
import { Tally, type SuiteResult } from './tally';

export const CROWDSEC_SUITE = 'crowdsec-hub';

/** The row of a must-stay-quiet test's false positives. */
export const QUIET = 'quiet';

/**
 * What a CrowdSec hub test expects: the alert sources named in `scenario.assert`
 * (`"1.2.3.4" in results[0].Overflow.GetSources()`); none when the file is absent or says
 * `len(results) == 0`.
 */
export function readScenarioAssert(text: string | undefined): Set<string> {
  const expected = new Set<string>();
  if (text === undefined) return expected;
  for (const m of text.matchAll(/"([^"]+)" in results\[\d+\]\.Overflow\.GetSources\(\)/g)) expected.add(normaliseEntity(m[1] as string));
  return expected;
}

/**
 * The scopes of the alert sources `scenario.assert` checks (`….GetScope() == "Ip"`): a scenario
 * alerts on one kind of entity (an address, a user name), and an entity of another kind that
 * Ratchet's signal also implicates (the user behind an address's signal) is not its answer.
 */
export function readAlertScopes(text: string | undefined): Set<string> {
  const scopes = new Set<string>();
  for (const m of (text ?? '').matchAll(/\.GetScope\(\) == "([^"]+)"/g)) scopes.add(m[1] as string);
  return scopes;
}

/** Keeps the entities of the alert's scopes: addresses for `Ip`/`Range`, names for `username`; all when the assert names none. */
function inScopes(entity: string, scopes: ReadonlySet<string>): boolean {
  if (scopes.size === 0) return true;
  const address = canonicalAddress(entity) !== undefined;
  return (address && (scopes.has('Ip') || scopes.has('Range'))) || (!address && scopes.has('username'));
}

/**
 * Replays each in-scope CrowdSec hub test's log through Ratchet (parser → admission → detectors over
 * a fresh state store, in event time) and compares the entities Ratchet flags with the test's
 * expected alert sources, per test and per indicator.
 */
export async function evaluateCrowdsec(files: DatasetFiles, env: ReplayEnvironment, cases: readonly CrowdsecCase[] = CROWDSEC_CASES): Promise<SuiteResult> {
  const tally = new Tally(CROWDSEC_SUITE);
  if (files.list('tests').length === 0) throw new UnreadableDataset('tests/', 'no CrowdSec hub tests found (expected tests/<test>/config.yaml)');
  for (const c of cases) await evaluateCase(c, files, env, tally);
  return tally.result();
}

async function evaluateCase(c: CrowdsecCase, files: DatasetFiles, env: ReplayEnvironment, tally: Tally): Promise<void> {
  const dir = `tests/${c.test}`;
  const indicator = c.expect?.indicator ?? QUIET;
  tally.touch(indicator);
  const configText = files.read(`${dir}/config.yaml`);
  if (configText === undefined) {
    tally.notes.push(`${c.test}: not in this copy of the hub (no ${dir}/config.yaml); not counted`);
    return;
  }
  const config = readYaml(`${dir}/config.yaml`, configText);
  const logFile = isRecord(config) ? config['log_file'] : undefined;
  if (typeof logFile !== 'string' || logFile === '') throw new UnreadableDataset(`${dir}/config.yaml`, 'log_file: is required');
  const log = files.read(`${dir}/${logFile}`);
  if (log === undefined) throw new UnreadableDataset(`${dir}/${logFile}`, 'not found (named by config.yaml log_file)');
  const assertText = files.read(`${dir}/scenario.assert`);
  const expected = readScenarioAssert(assertText);
  const scopes = readAlertScopes(assertText);

  const reader = new RecordReader(env);
  const events: AuthEvent[] = [];
  const outcomes: RecordOutcome[] = [];
  for (const line of log.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const outcome = reader.read(line, c.sources);
    outcomes.push(outcome);
    if (outcome.status === 'ok') events.push(...outcome.events);
  }
  const signals = await detectAll(events, env);
  const read = describeRead(outcomes);
  tally.notes.push(`${c.test}: ${read}; expected ${expected.size === 0 ? 'no alert' : [...expected].join(', ')}`);

  const relevant = c.expect ? signals.filter((s) => c.expect?.signals.includes(s.type)) : signals;
  const flagged = new Set([...flaggedEntities(relevant, events)].filter((e) => inScopes(e, scopes)));
  const fired = [...new Set(signals.map((s) => s.type))];
  for (const entity of expected) {
    if (flagged.has(entity)) tally.hit(indicator);
    else tally.miss({ case: c.test, indicator, kind: 'FN', subject: entity, why: whyMissed(c, env, outcomes, read, fired) });
  }
  // CrowdSec's alert sources are addresses: a user or service account behind a signal is something
  // the hub cannot name, so in a detecting test it is reported beside the case, not scored. The
  // addresses of its events are scored like any other. A must-stay-quiet test counts everything.
  const principals = c.expect ? [...flagged].filter((entity) => !expected.has(entity) && !isAddress(entity)) : [];
  if (principals.length > 0) tally.notes.push(`${c.test}: also flagged ${principals.join(', ')}, the identity behind the signal, which CrowdSec (alerting on addresses) cannot list; not scored`);
  for (const entity of flagged) {
    if (expected.has(entity) || principals.includes(entity)) continue;
    const types = [...new Set(relevant.filter((s) => s.entity.endsWith(`:${entity}`)).map((s) => s.type))];
    tally.miss({ case: c.test, indicator, kind: 'FP', subject: entity, why: `flagged${types.length > 0 ? ` by ${types.join(', ')}` : ' (address behind a signal)'}` });
  }
}

/** An address or a range, as CrowdSec names alert sources. */
function isAddress(entity: string): boolean {
  const [ip, bits] = entity.split('/');
  return canonicalAddress(ip ?? '') !== undefined && (bits === undefined || /^\d{1,3}$/.test(bits));
}

function whyMissed(c: CrowdsecCase, env: ReplayEnvironment, outcomes: readonly RecordOutcome[], read: string, fired: readonly string[]): string {
  const unsupported = outcomes.find((o): o is Extract<RecordOutcome, { status: 'unsupported' }> => o.status === 'unsupported');
  if (unsupported) return `unsupported: ${unsupported.reason}`;
  const noDetector = c.expect ? missingDetector(c.expect, env) : undefined;
  if (noDetector) return `unsupported: ${noDetector}`;
  const note = c.note ? `; ${c.note}` : '';
  return `not flagged (${read}; signals fired: ${fired.length > 0 ? fired.join(', ') : 'none'})${note}`;
}

/** `12 lines: 10 events, 1 ignored, 1 refused (first: nginx-access: …)`. */
export function describeRead(outcomes: readonly RecordOutcome[]): string {
  const count = (status: RecordOutcome['status']): number => outcomes.filter((o) => o.status === status).length;
  const events = outcomes.reduce((n, o) => n + (o.status === 'ok' ? o.events.length : 0), 0);
  const firstRefused = outcomes.find((o): o is Extract<RecordOutcome, { status: 'refused' }> => o.status === 'refused');
  const parts = [`${events} events`];
  if (count('ignored') > 0) parts.push(`${count('ignored')} ignored`);
  if (count('refused') > 0) parts.push(`${count('refused')} refused (first: ${firstRefused?.reason ?? ''})`);
  if (count('unsupported') > 0) parts.push(`${count('unsupported')} unsupported`);
  return `${outcomes.length} lines: ${parts.join(', ')}`;
}
