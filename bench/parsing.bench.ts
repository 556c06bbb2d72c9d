import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findSource } from '@ratchet/sources';
import type { BenchPart } from './lib/context';
import { atLeast, formatNumber, progress, type PartReport } from './lib/report';

const LINES = 500_000;
const WARM_UP = 50_000;
const TARGET_LINES_PER_S = 200_000;

export const parsingBench: BenchPart = {
  name: 'parsing',
  summary: `the nginx-access parser over ${formatNumber(LINES)} real combined-format lines (elastic/examples' Apache log, cycled)`,
  run: (context) => measureParsing(context.root),
};

/**
 * Lines through the parser alone, as the collector calls it: what bounds file and HTTP ingest of
 * access logs before admission. The log is real (10,000 lines with scanners and junk), cycled.
 */
async function measureParsing(root: string): Promise<PartReport> {
  const file = join(root, '..', 'shared', 'datasets', 'access-logs', 'apache-2015-05.log');
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
  const parser = findSource('nginx-access');
  if (!parser) throw new Error('the nginx-access source is not in the catalogue');
  progress(`parsing: ${formatNumber(lines.length)} lines from ${file}, cycled to ${formatNumber(LINES)}`);

  const tally = { events: 0, ignored: 0, refused: 0 };
  const run = (count: number, counted: boolean): void => {
    for (let i = 0; i < count; i++) {
      const result = parser.parse(lines[i % lines.length]);
      if (!counted) continue;
      if (!result.ok) tally.refused++;
      else if (result.events.length === 0) tally.ignored++;
      else tally.events += result.events.length;
    }
  };
  run(WARM_UP, false);
  const started = performance.now();
  run(LINES, true);
  const perSecond = (LINES / (performance.now() - started)) * 1_000;
  return {
    part: 'parsing',
    figures: [{ name: 'nginx-access lines parsed', value: perSecond, unit: 'lines/s', target: atLeast(TARGET_LINES_PER_S) }],
    notes: [`of ${formatNumber(LINES)} lines: ${formatNumber(tally.events)} events, ${formatNumber(tally.ignored)} ignored, ${formatNumber(tally.refused)} refused`],
  };
}
