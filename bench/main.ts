import 'reflect-metadata';
import { mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { authzBench } from './authz.bench';
import { crowdsecBench } from './crowdsec.bench';
import { detectionBench } from './detection.bench';
import { embeddedBench } from './embedded.bench';
import { enforceLoopBench } from './enforce-loop.bench';
import { extAuthzBench } from './ext-authz.bench';
import { intelBench } from './intel.bench';
import { parsingBench } from './parsing.bench';
import type { BenchContext, BenchPart } from './lib/context';
import { abortNow } from './lib/processes';
import { progress, renderPart, renderSummary, type PartReport } from './lib/report';
import { servicesBench } from './services.bench';

/**
 * `npm run bench [-- --only <part>]`: measures Ratchet and prints each figure beside its target,
 * marked met or missed. It asserts nothing; a part that cannot run is reported and the next runs.
 */
const PARTS: readonly BenchPart[] = [embeddedBench, servicesBench, enforceLoopBench, authzBench, extAuthzBench, intelBench, detectionBench, parsingBench, crowdsecBench];

function selectParts(argv: readonly string[]): readonly BenchPart[] {
  const at = argv.findIndex((a) => a === '--only' || a.startsWith('--only='));
  if (at < 0) return PARTS;
  const flag = argv[at] as string;
  const names = (flag.includes('=') ? flag.slice('--only='.length) : (argv[at + 1] ?? '')).split(',').filter(Boolean);
  const unknown = names.filter((n) => !PARTS.some((p) => p.name === n));
  if (names.length === 0 || unknown.length > 0) {
    throw new Error(`--only takes one of ${PARTS.map((p) => p.name).join(', ')} (comma-separated for several), not "${unknown.join(', ')}"`);
  }
  return PARTS.filter((p) => names.includes(p.name));
}

async function main(): Promise<void> {
  const parts = selectParts(process.argv.slice(2));
  const root = resolve(__dirname, '..');
  const runId = `bench-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}-${process.pid}`;
  const runDir = join(root, 'tmp', 'bench', runId);
  mkdirSync(runDir, { recursive: true });
  const context: BenchContext = { root, runDir, runId };

  const cpu = cpus();
  console.log(`Ratchet bench ${new Date().toISOString()} · node ${process.version} · ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}`);
  console.log(`parts: ${parts.map((p) => p.name).join(', ')} · load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} · logs in ${runDir}`);

  const reports: PartReport[] = [];
  for (const part of parts) {
    progress(`── ${part.name}: ${part.summary}`);
    const started = performance.now();
    try {
      const report = await part.run(context);
      report.notes.push(`part took ${((performance.now() - started) / 1_000).toFixed(1)} s`);
      reports.push(report);
      console.log(renderPart(report));
    } catch (err) {
      process.exitCode = 1;
      console.log(`\n== ${part.name} ==\n  could not run: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  }
  if (reports.length > 0) console.log(`\n== targets ==\n${renderSummary(reports)}`);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    abortNow();
    process.exit(130);
  });
}

main().catch((err: unknown) => {
  abortNow();
  console.error(err instanceof Error ? err.message : err);
  process.exit(2);
});
