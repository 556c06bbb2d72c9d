import { isRecord, readJsonObject, UnreadableDataset } from './dataset-error';
import { PANTHER_LOG_TYPES, PANTHER_OUT_OF_SCOPE_LOG_TYPES, PANTHER_RULES, pantherOutOfScope, type IndicatorEvidence } from './mappings';
import { detectAll, missingDetector, RecordReader, showsIndicator, type RecordOutcome, type ReplayEnvironment } from './replay';
import { Tally, type SuiteResult } from './tally';

export const PANTHER_SUITE = 'panther';

/**
 * The `p_event_time` a test record gets when it carries none. Panther's pipeline stamps every row
 * with the event time it parsed before a rule sees it, and its rule-test harness fills the p_ fields
 * a test leaves out; many tests (EKS and AKS audit events cut down to the fields a rule reads) keep
 * no time at all. The parsers read `p_event_time` only when the record has no time of its own.
 */
export const PANTHER_DEFAULT_EVENT_TIME = '2024-01-01 00:00:00.000';

/** One line of panther-tests.jsonl: a rule's unit test over one vendor record. */
interface PantherTest {
  ruleId: string;
  test: string;
  logTypes: string[];
  expected: boolean;
  log: unknown;
}

/**
 * Measures Ratchet on Panther's single-event rule tests: (a) every Okta, Entra, Auth0 and Kubernetes
 * record normalises (read or ignored, never refused) — a row `parse <log type>` per type; (b) for the
 * rules that correspond to a per-event indicator, Ratchet's verdict on that one event in a fresh
 * state (the facts its source set and the signals its detectors raise) against `expected`.
 */
export async function evaluatePanther(
  text: string,
  env: ReplayEnvironment,
  path = 'panther-tests.jsonl',
  rules: Readonly<Record<string, IndicatorEvidence>> = PANTHER_RULES,
): Promise<SuiteResult> {
  const tally = new Tally(PANTHER_SUITE);
  const reader = new RecordReader(env);
  const perType = new Map<string, RecordOutcome[]>();
  let otherTypes = 0;
  let negativesHeld = 0;
  let metadataOnly = 0;
  const outOfScope = new Map<string, Set<string>>();
  const unscored = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    const test = readPantherTest(line, `${path}:${i + 1}`);
    const logType = logTypeOf(test);
    const sourceId = logType === undefined ? undefined : PANTHER_LOG_TYPES[logType];
    const skipped = pantherOutOfScope(test.ruleId, test.test);
    const evidence = skipped === undefined ? rules[test.ruleId] : undefined;
    if (skipped !== undefined) {
      const what = skipped.test === undefined ? skipped.rule : `${skipped.rule} "${skipped.test}"`;
      unscored.set(what, skipped.reason);
    }
    const excluded = logType === undefined ? undefined : PANTHER_OUT_OF_SCOPE_LOG_TYPES[logType];
    if (excluded !== undefined) {
      outOfScope.set(excluded, (outOfScope.get(excluded) ?? new Set()).add(test.ruleId));
      continue;
    }
    // Rules over every log type (threat-intel lookups) are tested on rows holding only Panther's
    // own p_ columns: there is no vendor record in them to read.
    if (isMetadataOnly(test.log)) {
      metadataOnly++;
      continue;
    }
    if (sourceId === undefined && evidence === undefined) {
      otherTypes++;
      continue;
    }
    reader.forget();
    const outcome: RecordOutcome =
      sourceId === undefined ? { status: 'unsupported', reason: `log type ${logType ?? '(unknown)'} has no Ratchet source` } : reader.read(withEventTime(test.log), [sourceId]);
    const subject = `${test.ruleId} "${test.test}"`;

    if (sourceId !== undefined && logType !== undefined) {
      const indicator = `parse ${logType}`;
      perType.set(logType, [...(perType.get(logType) ?? []), outcome]);
      if (outcome.status === 'ok' || outcome.status === 'ignored') tally.hit(indicator);
      else tally.miss({ case: test.ruleId, indicator, kind: 'FN', subject, why: outcome.status === 'unsupported' ? `unsupported: ${outcome.reason}` : `refused: ${outcome.reason}` });
    }
    if (evidence === undefined) continue;

    const events = outcome.status === 'ok' ? outcome.events : [];
    const signals = await detectAll(events, env);
    const shown = showsIndicator(evidence, signals, events);
    const seen = describeSeen(outcome, signals.map((s) => s.type));
    if (test.expected && shown) tally.hit(evidence.indicator);
    else if (test.expected) {
      const noDetector = missingDetector(evidence, env);
      const why =
        outcome.status === 'unsupported' ? `unsupported: ${outcome.reason}` : noDetector && events.every((e) => !e.facts?.length) ? `unsupported: ${noDetector}; ${seen}` : `not shown: ${seen}`;
      tally.miss({ case: test.ruleId, indicator: evidence.indicator, kind: 'FN', subject, why });
    } else if (shown) tally.miss({ case: test.ruleId, indicator: evidence.indicator, kind: 'FP', subject, why: `shown: ${seen}` });
    else {
      tally.touch(evidence.indicator);
      negativesHeld++;
    }
  }
  for (const [logType, outcomes] of perType) {
    const count = (s: RecordOutcome['status']): number => outcomes.filter((o) => o.status === s).length;
    tally.notes.push(`${logType}: ${outcomes.length} records: ${count('ok')} read, ${count('ignored')} ignored, ${count('refused')} refused, ${count('unsupported')} unsupported`);
  }
  for (const [why, ruleIds] of outOfScope) tally.notes.push(`out of scope — ${why}: ${[...ruleIds].join(', ')}`);
  for (const [what, why] of unscored) tally.notes.push(`not scored as an indicator — ${what}: ${why}`);
  if (metadataOnly > 0) tally.notes.push(`${metadataOnly} records hold only Panther's p_ columns (no vendor record) and were not read`);
  tally.notes.push(`${negativesHeld} expected-false tests of mapped rules stayed quiet; ${otherTypes} records of other log types and unmapped rules were not read`);
  return tally.result();
}

function readPantherTest(line: string, where: string): PantherTest {
  const value = readJsonObject(line, where);
  const { rule_id: ruleId, test, log_types: logTypes, expected, log } = value;
  if (typeof ruleId !== 'string') throw new UnreadableDataset(where, 'rule_id: must be a string');
  if (typeof expected !== 'boolean') throw new UnreadableDataset(where, 'expected: must be true or false');
  return {
    ruleId,
    test: typeof test === 'string' ? test : '',
    logTypes: Array.isArray(logTypes) ? logTypes.filter((t): t is string => typeof t === 'string') : [],
    expected,
    log,
  };
}

/**
 * The record's own log type: Panther's `p_log_type` when the test carries it, the rule's only
 * log type, or — for rules over several types — a Kubernetes audit event recognised by its shape.
 */
export function logTypeOf(test: Pick<PantherTest, 'logTypes' | 'log'>): string | undefined {
  const log = test.log;
  if (isRecord(log) && typeof log['p_log_type'] === 'string') return log['p_log_type'];
  if (test.logTypes.length === 1) return test.logTypes[0];
  if (isRecord(log) && log['kind'] === 'Event' && typeof log['apiVersion'] === 'string' && log['apiVersion'].startsWith('audit.k8s.io/')) return 'Amazon.EKS.Audit';
  return undefined;
}

/** The record as Panther's pipeline hands it to a rule: with `p_event_time`, the documented default when it has none. */
function withEventTime(log: unknown): unknown {
  if (!isRecord(log) || log['p_event_time'] !== undefined) return log;
  return { ...log, p_event_time: PANTHER_DEFAULT_EVENT_TIME };
}

function isMetadataOnly(log: unknown): boolean {
  if (!isRecord(log)) return false;
  const keys = Object.keys(log);
  return keys.length > 0 && keys.every((k) => k.startsWith('p_'));
}

function describeSeen(outcome: RecordOutcome, signalTypes: readonly string[]): string {
  switch (outcome.status) {
    case 'ok': {
      const facts = [...new Set(outcome.events.flatMap((e) => e.facts ?? []))];
      const shape = outcome.events.map((e) => `${e.action}/${e.outcome}${e.reason ? ` (${e.reason})` : ''}`).join(', ');
      return `${outcome.source} read ${shape}; facts: ${facts.length > 0 ? facts.join(', ') : 'none'}; signals: ${signalTypes.length > 0 ? [...new Set(signalTypes)].join(', ') : 'none'}`;
    }
    case 'ignored':
      return `${outcome.source} ignored the record (${outcome.what})`;
    case 'refused':
      return `refused: ${outcome.reason}`;
    case 'unsupported':
      return `unsupported: ${outcome.reason}`;
  }
}
