import type { AuthEvent } from '@ratchet/contracts';
import type { DatasetFiles } from './dataset-files.port';
import { isRecord, readYaml, requireFile, UnreadableDataset } from './dataset-error';
import { FALCO_RULES, falcoIndicators, type FalcoRuleMapping } from './mappings';
import { detectAll, missingDetector, RecordReader, showsIndicator, type RecordOutcome, type ReplayEnvironment } from './replay';
import { Tally, type SuiteResult } from './tally';

export const FALCO_SUITE = 'falco';
export const FALCO_TESTS_FILE = 'falco_k8s_audit_tests.yaml';

/** Rule files every Falco test loads; anything else is a site's own customisation. */
const STOCK_RULE_FILES = /(?:^|\/)(?:falco_rules|k8s_audit_rules|engine_v4_k8s_audit_rules)\.yaml$/;

interface FalcoTest {
  name: string;
  detect: boolean;
  rules: string[];
  eventsFile: string;
  customRules: string[];
}

/**
 * Control-plane indicators on Falco's Kubernetes audit tests: each test's event file is replayed
 * through Ratchet in a fresh state. A detecting test whose Falco rule maps to an indicator must
 * show it; a must-not-detect test must show none of the mapped indicators. Rules that are not
 * indicators (activity audit, site allow-lists) are listed as out of scope, not scored.
 */
export async function evaluateFalco(files: DatasetFiles, env: ReplayEnvironment, rules: Readonly<Record<string, FalcoRuleMapping>> = FALCO_RULES): Promise<SuiteResult> {
  const tally = new Tally(FALCO_SUITE);
  const tests = readFalcoTests(readYaml(FALCO_TESTS_FILE, requireFile((p) => files.read(p), FALCO_TESTS_FILE)));
  const indicators = falcoIndicators(rules);
  const outOfScope = new Map<string, Set<string>>();
  let scored = 0;
  for (const test of tests) {
    const path = `events/${test.eventsFile}`;
    const reader = new RecordReader(env);
    const outcomes = readRecords(requireFile((p) => files.read(p), path)).map((record) => reader.read(record, ['k8s-audit']));
    const events = outcomes.flatMap((o) => (o.status === 'ok' ? o.events : []));
    const signals = await detectAll(events, env);
    const custom = test.customRules.length > 0 ? ` (Falco loaded ${test.customRules.join(', ')})` : '';
    if (test.detect) {
      let inScope = false;
      for (const rule of test.rules) {
        const mapping = rules[rule];
        if (mapping === undefined) {
          inScope = true;
          tally.miss({ case: test.name, indicator: 'unmapped', kind: 'FN', subject: rule, why: `unsupported: Falco rule "${rule}" is not in the Falco rule table` });
          continue;
        }
        if ('outOfScope' in mapping) {
          outOfScope.set(mapping.outOfScope, (outOfScope.get(mapping.outOfScope) ?? new Set()).add(rule));
          continue;
        }
        inScope = true;
        if (showsIndicator(mapping, signals, events)) tally.hit(mapping.indicator);
        else {
          const noDetector = missingDetector(mapping, env);
          const seen = describeEvents(outcomes, signals.map((s) => s.type));
          tally.miss({ case: test.name, indicator: mapping.indicator, kind: 'FN', subject: `${rule} on ${test.eventsFile}`, why: noDetector ? `unsupported: ${noDetector}; ${seen}` : `not shown: ${seen}` });
        }
      }
      if (inScope) scored++;
      continue;
    }
    // A must-not-detect test that loads a site's own rules (trusting an image) tests that
    // allow-list, which Ratchet spells differently (detectors' allowedIdentities): not scored.
    if (test.customRules.length > 0) {
      const why = `a site allow-list Falco loaded${custom}, which Ratchet expresses as detector settings`;
      outOfScope.set(why, (outOfScope.get(why) ?? new Set()).add(test.name));
      continue;
    }
    scored++;
    for (const evidence of indicators) {
      tally.touch(evidence.indicator);
      if (showsIndicator(evidence, signals, events)) {
        tally.miss({ case: test.name, indicator: evidence.indicator, kind: 'FP', subject: test.eventsFile, why: `Falco must not detect; Ratchet: ${describeEvents(outcomes, signals.map((s) => s.type))}` });
      }
    }
  }
  tally.notes.push(`${tests.length} tests (${tests.filter((t) => t.detect).length} detect, ${tests.filter((t) => !t.detect).length} must not); ${scored} scored`);
  for (const [why, names] of outOfScope) tally.notes.push(`out of scope — ${why}: ${[...names].join(', ')}`);
  return tally.result();
}

function readFalcoTests(doc: unknown): FalcoTest[] {
  const traces = isRecord(doc) ? doc['trace_files'] : undefined;
  if (!isRecord(traces)) throw new UnreadableDataset(FALCO_TESTS_FILE, 'trace_files: must be a map of tests');
  return Object.entries(traces).map(([name, raw]) => {
    const where = `${FALCO_TESTS_FILE} ${name}`;
    if (!isRecord(raw) || typeof raw['detect'] !== 'boolean') throw new UnreadableDataset(where, 'detect: must be true or false');
    const counts = Array.isArray(raw['detect_counts']) ? raw['detect_counts'] : [];
    const rules = counts.flatMap((entry) => (isRecord(entry) ? Object.keys(entry) : []));
    const opts = typeof raw['addl_cmdline_opts'] === 'string' ? raw['addl_cmdline_opts'] : '';
    const file = /open_params=(\S+)/.exec(opts)?.[1];
    if (file === undefined) throw new UnreadableDataset(where, 'addl_cmdline_opts: names no trace file (open_params=…)');
    const ruleFiles = Array.isArray(raw['rules_file']) ? raw['rules_file'].filter((f): f is string => typeof f === 'string') : [];
    return {
      name,
      detect: raw['detect'],
      rules,
      eventsFile: file.slice(file.lastIndexOf('/') + 1),
      customRules: ruleFiles.filter((f) => !STOCK_RULE_FILES.test(f)).map((f) => f.slice(f.lastIndexOf('/') + 1)),
    };
  });
}

/** A trace file holds one JSON event, or one per line; a line that is not JSON is passed on as text for the parser to refuse. */
function readRecords(text: string): unknown[] {
  try {
    return [JSON.parse(text) as unknown];
  } catch {
    return text
      .split(/\r?\n/)
      .filter((line) => line.trim() !== '')
      .map((line) => {
        try {
          return JSON.parse(line) as unknown;
        } catch {
          return line;
        }
      });
  }
}

function describeEvents(outcomes: readonly RecordOutcome[], signalTypes: readonly string[]): string {
  const read = outcomes.map((o) => (o.status === 'ok' ? o.events.map(describeEvent).join(', ') : `${o.status}: ${'reason' in o ? o.reason : o.what}`));
  return `${read.join('; ')}; signals: ${signalTypes.length > 0 ? [...new Set(signalTypes)].join(', ') : 'none'}`;
}

function describeEvent(e: AuthEvent): string {
  const facts = e.facts?.length ? ` [${e.facts.join(', ')}]` : '';
  return `${e.principal?.type ?? 'unknown'} ${e.reason ?? e.action}${facts}`;
}
