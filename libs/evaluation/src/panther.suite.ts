import { isRecord, readJsonObject, UnreadableDataset } from './dataset-error';
import { PANTHER_LOG_TYPES, PANTHER_RULES, type IndicatorEvidence } from './mappings';
import { detectAll, missingDetector, RecordReader, showsIndicator, type RecordOutcome, type ReplayEnvironment } from './replay';
import { Tally, type SuiteResult } from './tally';

export const PANTHER_SUITE = 'panther';

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
  const lines = text.split(/\r?\n/);
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    const test = readPantherTest(line, `${path}:${i + 1}`);
    const logType = logTypeOf(test);
    const sourceId = logType === undefined ? undefined : PANTHER_LOG_TYPES[logType];
    const evidence = rules[test.ruleId];
    if (sourceId === undefined && evidence === undefined) {
      otherTypes++;
      continue;
    }
    reader.forget();
    const outcome: RecordOutcome =
      sourceId === undefined ? { status: 'unsupported', reason: `log type ${logType ?? '(unknown)'} has no Ratchet source` } : reader.read(test.log, [sourceId]);
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
