import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { describeLoadedFeed, readDetectorConfig, startTelemetry } from '@ratchet/platform';
import { readEmbeddedConfig, readIngestSources, readPolicyRenderConfig } from './config';
import { collectorEnrichment, embeddedReplayEnvironment, formatEval, parseEvalArgs, runEval } from './cli/eval.command';
import { parseIngestArgs, runIngest } from './cli/ingest.command';
import { parsePolicyArgs, runPolicyRender } from './cli/policy.command';
import { startDemoTraffic } from './demo/demo-traffic';
import { startEmbedded } from './embedded-app';

/**
 * `ratchet` — the embedded shape: collector, scorer and enforcer in one process, in memory.
 * `ratchet ingest …` — send a log file (or stdin, or a growing file) to a running Ratchet.
 * `ratchet policy render …` — write the Kubernetes objects the decisions in force ask for.
 */
async function main(): Promise<void> {
  if (process.argv[2] === 'ingest') return ingest(process.argv.slice(3));
  if (process.argv[2] === 'eval') return evaluate(process.argv.slice(3));
  if (process.argv[2] === 'policy') return policy(process.argv.slice(3));
  const config = readEmbeddedConfig();
  const telemetry = startTelemetry({ serviceName: 'ratchet', ...config.telemetry });
  const app = await startEmbedded(config);
  const bound = app.getHttpServer().address();
  const address = `http://${config.host}:${typeof bound === 'object' && bound ? bound.port : config.port}`;
  const log = new Logger('ratchet');
  for (const feed of config.detectors?.feeds ?? []) log.log(describeLoadedFeed(feed));
  log.log(`listening on ${address}: POST /v1/events, GET /authz, /ext_authz/*, GET /v1/decisions, GET /v1/chains, GET /v1/entities/{entity}, GET /v1/signals, /healthz, /readyz, /metrics`);
  if (process.argv.includes('--demo')) {
    const demo = startDemoTraffic(address);
    app.getHttpServer().on('close', () => demo.stop());
  }
  process.on('beforeExit', () => void telemetry.shutdown());
}

async function ingest(args: readonly string[]): Promise<void> {
  const options = parseIngestArgs(args, undefined, readIngestSources());
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());
  const totals = await runIngest({
    ...options,
    signal: stop.signal,
    onBatch: (result) => {
      for (const r of result.rejected) console.error(`record ${r.index}: ${r.errors.join('; ')}`);
      if (options.follow) console.error(`sent: ${result.accepted} accepted, ${result.ignored} ignored, ${result.rejected.length} rejected`);
    },
  });
  console.error(`${totals.records} records: ${totals.accepted} events accepted, ${totals.ignored} ignored, ${totals.rejected} rejected (see the dead-letter topic)`);
}

async function evaluate(args: readonly string[]): Promise<void> {
  const options = parseEvalArgs(args);
  const detectors = readDetectorConfig(process.env, Date.now());
  const enrichment = collectorEnrichment(process.env);
  process.stdout.write(formatEval(await runEval(options, embeddedReplayEnvironment(detectors.settings, enrichment.enricher), enrichment.notes), options.json));
}

async function policy(args: readonly string[]): Promise<void> {
  const config = readPolicyRenderConfig();
  const options = parsePolicyArgs(args, config.policy.targets, config.url);
  const result = await runPolicyRender(options, config.policy.settings, Date.now());
  process.stdout.write(result.stdout);
  for (const path of result.written) console.error(`wrote ${path}`);
  for (const refusal of result.rendered.refused) console.error(`not rendered: ${refusal.actionId}${refusal.target ? ` on ${refusal.target}` : ''}: ${refusal.reason}`);
  for (const problem of result.problems) console.error(problem);
  console.error(`${result.rendered.changes.length} changes, ${result.rendered.refused.length} not rendered, ${result.expired} expired decisions left out`);
  if (result.problems.length > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  // Configuration errors name the variable; print them plainly and exit non-zero.
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
