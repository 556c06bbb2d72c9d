/** One row of the summary: how one indicator did on one suite. */
export interface IndicatorRow {
  suite: string;
  indicator: string;
  tp: number;
  fp: number;
  fn: number;
  /** tp / (tp + fp); null when Ratchet flagged nothing. */
  precision: number | null;
  /** tp / (tp + fn); null when nothing was expected. */
  recall: number | null;
}

/** A false negative or false positive, with what it was about and why, as far as the harness can tell. */
export interface Miss {
  suite: string;
  /** The test, rule or file line it comes from. */
  case: string;
  indicator: string;
  kind: 'FN' | 'FP';
  /** The entity, record or line concerned. */
  subject: string;
  /** `unsupported: …` when a source or detector is missing; otherwise what Ratchet did instead. */
  why: string;
}

export interface SuiteResult {
  suite: string;
  rows: IndicatorRow[];
  misses: Miss[];
  /** Facts about the run that are not scores: records read, cases out of scope, and why. */
  notes: string[];
}

/** Accumulates TP/FP/FN per indicator and the misses, in the order indicators first appear. */
export class Tally {
  private readonly counts = new Map<string, { tp: number; fp: number; fn: number }>();
  readonly misses: Miss[] = [];
  readonly notes: string[] = [];

  constructor(readonly suite: string) {}

  hit(indicator: string, n = 1): void {
    this.row(indicator).tp += n;
  }

  /** Opens a row with nothing counted, so an indicator with no outcome yet still shows. */
  touch(indicator: string): void {
    this.row(indicator);
  }

  miss(miss: Omit<Miss, 'suite'>): void {
    const row = this.row(miss.indicator);
    if (miss.kind === 'FN') row.fn++;
    else row.fp++;
    this.misses.push({ suite: this.suite, ...miss });
  }

  result(): SuiteResult {
    const rows = [...this.counts].map(([indicator, c]) => ({ suite: this.suite, indicator, ...c, precision: ratio(c.tp, c.tp + c.fp), recall: ratio(c.tp, c.tp + c.fn) }));
    return { suite: this.suite, rows, misses: this.misses, notes: this.notes };
  }

  private row(indicator: string): { tp: number; fp: number; fn: number } {
    let row = this.counts.get(indicator);
    if (!row) this.counts.set(indicator, (row = { tp: 0, fp: 0, fn: 0 }));
    return row;
  }
}

/** The indicator of a suite's total row. */
export const TOTAL_INDICATOR = 'total';

/**
 * A suite's total: TP, FP and FN summed over its rows (micro-averaged), with the precision and recall
 * of those sums — the figure the target is set on, per suite. Rows with many cases (Panther's
 * parse rows count records) weigh in proportion.
 */
export function totalRow(suite: string, rows: readonly IndicatorRow[]): IndicatorRow {
  const tp = sum(rows, 'tp');
  const fp = sum(rows, 'fp');
  const fn = sum(rows, 'fn');
  return { suite, indicator: TOTAL_INDICATOR, tp, fp, fn, precision: ratio(tp, tp + fp), recall: ratio(tp, tp + fn) };
}

function sum(rows: readonly IndicatorRow[], field: 'tp' | 'fp' | 'fn'): number {
  return rows.reduce((n, row) => n + row[field], 0);
}

function ratio(part: number, whole: number): number | null {
  return whole === 0 ? null : part / whole;
}
