import 'reflect-metadata';
import { join } from 'node:path';
import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { context } from '@opentelemetry/api';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { IngestService, type BodyItem } from '@ratchet/collector';
import { AuthEventDto, compileAuthEventAdmission, compileAuthEventCheck, type AuthEventInput } from '@ratchet/contracts';
import { MemoryEventLog, RatchetMetrics, startTelemetry } from '@ratchet/platform';
import { canonicalParser } from '@ratchet/sources';
import { readEmbeddedConfig } from '../apps/ratchet/src/config';
import { startEmbedded } from '../apps/ratchet/src/embedded-app';
import { divertStdout, type BenchPart } from './lib/context';
import { HttpClient } from './lib/http';
import { postNdjsonEvents } from './lib/ingest';
import { collectGarbage } from '@ratchet/testing';
import { atLeast, mib, progress, type Figure, type PartReport } from './lib/report';
import { median, ratePerSecond } from './lib/stats';
import { TrafficGenerator } from './lib/traffic';

const VALIDATOR_EVENTS = 50_000;
const VALIDATOR_ROUNDS = 3;
const PIPELINE_EVENTS = 300_000;
const WARM_UP_EVENTS = 20_000;
const CHUNK = 1_000;
const HTTP_CONCURRENCY = 4;
const TARGET_EVENTS_PER_SECOND = 50_000;
/** A pipeline that has not scored everything by then is reported as stalled. */
const DRAIN_TIMEOUT_MS = 60_000;

export const embeddedBench: BenchPart = {
  name: 'embedded',
  summary: 'validator cost, and the whole pipeline in one process over memory adapters',
  async run(ctx) {
    const figures: Figure[] = [];
    const notes: string[] = [];
    figures.push(...measureValidators(notes));

    const config = readEmbeddedConfig({ RATCHET_PORT: '0', LOG_FORMAT: 'text' });
    const telemetry = startTelemetry({ serviceName: 'ratchet-bench', ...config.telemetry });
    const restoreStdout = divertStdout(join(ctx.runDir, 'embedded-app.log'));
    try {
      const direct = await measurePipeline('in-process IngestService.ingest', ingestDirectly);
      const http = await measurePipeline(`HTTP POST /v1/events (NDJSON ×${CHUNK}, ${HTTP_CONCURRENCY} concurrent)`, ingestOverHttp);
      for (const run of [direct, http]) {
        figures.push(
          { name: `${run.label}: accepted`, value: run.acceptRate, unit: 'events/s' },
          { name: `${run.label}: ingest → scored`, value: run.scoredRate, unit: 'events/s', target: atLeast(TARGET_EVENTS_PER_SECOND) },
          { name: `${run.label}: RSS after`, value: mib(run.rss), unit: 'MiB', digits: 1 },
          { name: `${run.label}: heap used after`, value: mib(run.heapUsed), unit: 'MiB', digits: 1, note: `${mib(run.heapRetained).toFixed(1)} MiB retained after a full GC` },
        );
      }
    } finally {
      restoreStdout();
      await telemetry.shutdown();
    }
    notes.push(
      `validators: ${VALIDATOR_EVENTS.toLocaleString('en-US')} realistic events, median of ${VALIDATOR_ROUNDS} rounds after a warm-up; the admission is what the collector runs (ajv check + id + time parse)`,
      `pipeline: ${PIPELINE_EVENTS.toLocaleString('en-US')} events (90% benign, 10% attacks from 6 addresses) in chunks of ${CHUNK.toLocaleString('en-US')}, after ${WARM_UP_EVENTS.toLocaleString('en-US')} warm-up events, a fresh app per run; "scored" = RatchetMetrics.eventsScored reached the total`,
      '"accepted" = the last chunk was accepted; when the scorer keeps pace, both end within a poll (2 ms) of each other',
      'the load generator and the app share this process (one thread, of 2 cores); RSS and heap include the generator\'s pool of 50k events (about 46 MiB)',
      `Nest's log of the runs: ${join(ctx.runDir, 'embedded-app.log')}`,
    );
    return { part: 'embedded', figures, notes } satisfies PartReport;
  },
};

// ---- (a) validator cost -------------------------------------------------------------------------

function measureValidators(notes: string[]): Figure[] {
  progress(`validators: ${VALIDATOR_EVENTS} events × ${VALIDATOR_ROUNDS} rounds each`);
  // Parsed from NDJSON, as the collector receives them.
  const events = new TrafficGenerator({ seed: 7 })
    .ndjson(VALIDATOR_EVENTS)
    .split('\n')
    .map((line) => JSON.parse(line) as AuthEventInput);
  const admit = compileAuthEventAdmission();
  const check = compileAuthEventCheck();
  const observedAt = Date.now();

  const classValidator = (e: AuthEventInput): boolean => validateSync(plainToInstance(AuthEventDto, e)).length === 0;
  const ajvCheck = (e: AuthEventInput): boolean => check(e) === undefined;
  const admission = (e: AuthEventInput): boolean => admit(e, { observedAt }).ok;

  const results = [
    { name: 'class-validator (plainToInstance + validateSync)', ...timePerEvent(events, classValidator) },
    { name: 'compiled ajv check (compileAuthEventCheck)', ...timePerEvent(events, ajvCheck) },
    { name: 'compiled ajv admission (compileAuthEventAdmission)', ...timePerEvent(events, admission) },
  ];
  for (const r of results) if (r.valid !== events.length) notes.push(`${r.name} refused ${events.length - r.valid} of ${events.length} events`);
  const [cv, , adm] = results;
  if (cv && adm) notes.push(`class-validator costs ${(cv.microseconds / adm.microseconds).toFixed(1)}× the compiled admission (DESIGN.md: ~20 µs vs ~1 µs)`);
  return results.map((r) => ({ name: `validate: ${r.name}`, value: r.microseconds, unit: 'µs/event', digits: 2 }));
}

/** Median µs per event over several rounds, after a warm-up round; and how many were valid. */
function timePerEvent(events: readonly AuthEventInput[], validate: (e: AuthEventInput) => boolean): { microseconds: number; valid: number } {
  let valid = 0;
  for (let i = 0; i < Math.min(5_000, events.length); i++) validate(events[i] as AuthEventInput);
  const rounds: number[] = [];
  for (let round = 0; round < VALIDATOR_ROUNDS; round++) {
    valid = 0;
    const start = performance.now();
    for (const event of events) if (validate(event)) valid++;
    rounds.push(((performance.now() - start) * 1_000) / events.length);
  }
  return { microseconds: median(rounds), valid };
}

// ---- (b) pipeline throughput ------------------------------------------------------------------

interface PipelineRun {
  label: string;
  acceptRate: number;
  scoredRate: number;
  rss: number;
  heapUsed: number;
  heapRetained: number;
}

/** Binds a way of pushing events to a running app; the result resolves once `count` are accepted. */
type IngestPath = (app: NestFastifyApplication, traffic: TrafficGenerator) => (count: number) => Promise<void>;

async function measurePipeline(label: string, ingest: IngestPath): Promise<PipelineRun> {
  progress(`pipeline via ${label}: starting a fresh embedded app`);
  const config = readEmbeddedConfig({ RATCHET_PORT: '0', LOG_FORMAT: 'text' });
  const app = await startEmbedded(config, { eventLog: new MemoryEventLog() });
  try {
    const metrics = app.get(RatchetMetrics);
    const scored = async (): Promise<number> => (await metrics.eventsScored.get()).values[0]?.value ?? 0;
    const push = ingest(app, new TrafficGenerator({ seed: 11 }));

    await push(WARM_UP_EVENTS);
    await waitUntilScored(scored, WARM_UP_EVENTS);

    progress(`pipeline via ${label}: ${PIPELINE_EVENTS} events`);
    const base = await scored();
    const start = performance.now();
    await push(PIPELINE_EVENTS);
    const accepted = performance.now();
    await waitUntilScored(async () => (await scored()) - base, PIPELINE_EVENTS);
    const done = performance.now();
    const memory = process.memoryUsage();
    collectGarbage();
    const heapRetained = process.memoryUsage().heapUsed;
    return {
      label,
      acceptRate: ratePerSecond(PIPELINE_EVENTS, accepted - start),
      scoredRate: ratePerSecond(PIPELINE_EVENTS, done - start),
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      heapRetained,
    };
  } finally {
    await app.close();
  }
}

async function waitUntilScored(scored: () => Promise<number>, total: number): Promise<void> {
  const deadline = performance.now() + DRAIN_TIMEOUT_MS;
  while ((await scored()) < total) {
    if (performance.now() > deadline) throw new Error(`the scorer stalled at ${await scored()} of ${total} events`);
    await sleep(2);
  }
}

/** The collector's use case called directly, a chunk at a time, yielding to the loop in between. */
function ingestDirectly(app: NestFastifyApplication, traffic: TrafficGenerator): (count: number) => Promise<void> {
  const ingest = app.get(IngestService);
  return async (count) => {
    for (let sent = 0; sent < count; sent += CHUNK) {
      const items: BodyItem[] = traffic.events(Math.min(CHUNK, count - sent)).map((value, index) => ({ index, value }));
      const result = await ingest.ingest(items, canonicalParser, context.active());
      if (result.rejected.length > 0) throw new Error(`the collector refused ${result.rejected.length} events: ${result.rejected[0]?.errors.join('; ')}`);
      await yieldToLoop();
    }
  };
}

/** NDJSON bodies posted to the app's own port over keep-alive connections, several at a time. */
function ingestOverHttp(app: NestFastifyApplication, traffic: TrafficGenerator): (count: number) => Promise<void> {
  const bound = app.getHttpServer().address();
  if (typeof bound !== 'object' || bound === null) throw new Error('the embedded app is not listening');
  const client = new HttpClient(`http://127.0.0.1:${bound.port}`, HTTP_CONCURRENCY);
  app.getHttpServer().once('close', () => client.close());
  return (count) => postNdjsonEvents(client, traffic, count, { batch: CHUNK, concurrency: HTTP_CONCURRENCY });
}
