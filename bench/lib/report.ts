/** A measured figure, optionally with the target it is held against. */
export interface Figure {
  /** What was measured, e.g. `in-process ingest → scored`. */
  name: string;
  value: number;
  unit: string;
  /** Digits after the decimal point when printed. Default 0. */
  digits?: number;
  target?: Target;
  /** A short remark printed beside the figure. */
  note?: string;
}

export interface Target {
  /** `min`: the figure must reach `value`; `max`: it must not exceed it. */
  kind: 'min' | 'max';
  value: number;
}

/** What one part measured, and what a reader needs to know to judge it. */
export interface PartReport {
  part: string;
  figures: Figure[];
  notes: string[];
}

export const atLeast = (value: number): Target => ({ kind: 'min', value });
export const atMost = (value: number): Target => ({ kind: 'max', value });

export function verdictOf(figure: Figure): 'met' | 'missed' | '' {
  const { target, value } = figure;
  if (!target) return '';
  if (!Number.isFinite(value)) return 'missed';
  return (target.kind === 'min' ? value >= target.value : value <= target.value) ? 'met' : 'missed';
}

export function formatNumber(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function formatTarget(figure: Figure): string {
  const { target } = figure;
  if (!target) return '';
  return `${target.kind === 'min' ? '≥' : '≤'} ${formatNumber(target.value, figure.digits ?? 0)} ${figure.unit}`;
}

/** Lays out rows under a header, each column as wide as its widest cell; numbers align right. */
export function renderTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>, rightAligned: ReadonlySet<number> = new Set()): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (rightAligned.has(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function renderFigures(figures: readonly Figure[]): string {
  const rows = figures.map((f) => [
    f.name,
    formatNumber(f.value, f.digits ?? 0),
    f.unit,
    formatTarget(f),
    verdictOf(f),
    f.note ?? '',
  ]);
  return renderTable(['figure', 'measured', 'unit', 'target', '', 'note'], rows, new Set([1]));
}

export function renderPart(report: PartReport): string {
  const lines = [`\n== ${report.part} ==`, renderFigures(report.figures)];
  for (const note of report.notes) lines.push(`  · ${note}`);
  return lines.join('\n');
}

/** Every figure that has a target, across parts: the page a reader looks at first. */
export function renderSummary(reports: readonly PartReport[]): string {
  const rows = reports.flatMap((r) =>
    r.figures.filter((f) => f.target).map((f) => [r.part, f.name, `${formatNumber(f.value, f.digits ?? 0)} ${f.unit}`, formatTarget(f), verdictOf(f)]),
  );
  return renderTable(['part', 'figure', 'measured', 'target', ''], rows, new Set([2]));
}

/** Progress lines go to stderr so that stdout holds only the figures. */
export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

export function mib(bytes: number): number {
  return bytes / 1_048_576;
}
