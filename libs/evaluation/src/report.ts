import { totalRow, type IndicatorRow, type SuiteResult } from './tally';

export interface EvaluationReport {
  /** One row per suite and indicator. */
  summary: IndicatorRow[];
  /** One row per suite, indicator `total`: its rows' TP, FP and FN summed (micro-averaged). */
  totals: IndicatorRow[];
  suites: SuiteResult[];
  /** What the whole replay ran with that changes its scores, e.g. which database gave `client.geo`. */
  notes: string[];
}

export function buildReport(suites: readonly SuiteResult[], notes: readonly string[] = []): EvaluationReport {
  return { summary: suites.flatMap((s) => s.rows), totals: suites.map((s) => totalRow(s.suite, s.rows)), suites: [...suites], notes: [...notes] };
}

/**
 * The summary table — each suite's indicator rows, then its total row — and the replay's notes, then
 * each suite's notes and misses: what `ratchet eval` prints.
 */
export function renderReport(report: EvaluationReport): string {
  const header = ['suite', 'indicator', 'TP', 'FP', 'FN', 'precision', 'recall'];
  const ordered = report.totals.flatMap((total) => [...report.summary.filter((r) => r.suite === total.suite), total]);
  const rows = ordered.map((r) => [r.suite, r.indicator, String(r.tp), String(r.fp), String(r.fn), percent(r.precision), percent(r.recall)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const numeric = (i: number): boolean => i >= 2;
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (numeric(i) ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  const out = [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
  if (report.notes.length > 0) out.push('', ...report.notes.map((note) => `note: ${note}`));
  for (const suite of report.suites) {
    out.push('', `== ${suite.suite}: ${suite.misses.length} misses`);
    for (const note of suite.notes) out.push(`  note: ${note}`);
    for (const m of suite.misses) out.push(`  ${m.kind} ${m.indicator} ${m.case}: ${m.subject} — ${m.why}`);
  }
  return out.join('\n') + '\n';
}

function percent(value: number | null): string {
  return value === null ? '—' : `${(value * 100).toFixed(1)}%`;
}
