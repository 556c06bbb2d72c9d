import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import type { EnforcementAction } from '@ratchet/contracts';
import type { BenchContext, BenchPart } from './lib/context';
import { assertPortFree, HttpClient, metricValue, waitForStatus } from './lib/http';
import { ensureInfra, forgetRun, stopInfra, stopInfraSync, type Infra } from './lib/infra';
import { postNdjsonEvents } from './lib/ingest';
import { cpuTimeOf, onAbort, rssOf, spawnTs, stopChild, tailOf, type Child } from './lib/processes';
import { atLeast, atMost, formatNumber, mib, progress, type Figure, type PartReport } from './lib/report';
import { ratePerSecond, summarize } from './lib/stats';
import { bruteForceNdjson, TrafficGenerator } from './lib/traffic';

const SERVICES = [
  { name: 'collector', port: 18081 },
  { name: 'scorer', port: 18082 },
  { name: 'enforcer', port: 18083 },
] as const;
type ServiceName = (typeof SERVICES)[number]['name'];

const READY_TIMEOUT_MS = 120_000;
const WARM_UP_EVENTS = 10_000;
const THROUGHPUT_EVENTS = 200_000;
const THROUGHPUT_BATCH = 1_000;
const THROUGHPUT_CONCURRENCY = 6;
const DRAIN_TIMEOUT_MS = 120_000;
/**
 * Issue 3: with the whole detector catalogue, no slower than half the skeleton's 15,800 events/s
 * (the skeleton's own target, with its four detectors, was 5,000).
 */
const TARGET_EVENTS_PER_SECOND = 7_900;

const LATENCY_DURATION_MS = 20_000;
const TICK_MS = 50;
const EVENTS_PER_TICK = 100;
const PROBE_EVERY_MS = 500;
/** The brute-force detector's default threshold. */
const PROBE_FAILURES = 20;
const AUTHZ_PROBES = 5;
const DECISION_TIMEOUT_MS = 15_000;
const TARGET_P99_MS = 500;

/** Probes come from the benchmarking range (RFC 2544), which no other traffic uses. */
const probeAddress = (i: number): string => `198.18.${i >> 8}.${i & 255}`;

export const servicesBench: BenchPart = {
  name: 'services',
  summary: 'collector, scorer and enforcer as processes over Kafka and Redis',
  async run(ctx) {
    progress('services: checking Kafka and Redis (scripts/infra.sh)');
    const infra = await ensureInfra(ctx.root);
    const forgetInfra = infra.startedHere ? onAbort(() => stopInfraSync(ctx.root)) : () => undefined;
    const topicPrefix = `${ctx.runId}.`;
    const services = new Map<ServiceName, Child>();
    const clients = new Map<ServiceName, HttpClient>(SERVICES.map((s) => [s.name, new HttpClient(`http://127.0.0.1:${s.port}`, 16)]));
    const client = (name: ServiceName): HttpClient => clients.get(name) as HttpClient;
    let decisions: DecisionWatch | undefined;
    const notes: string[] = [];
    try {
      for (const { name, port } of SERVICES) await assertPortFree(client(name), port);
      for (const service of SERVICES) services.set(service.name, spawnService(ctx, infra, service.name, service.port));
      progress('services: waiting for /readyz on 18081-18083');
      const startedAt = performance.now();
      await Promise.all(
        SERVICES.map(({ name }) => {
          const child = services.get(name) as Child;
          return waitForStatus(client(name), '/readyz', 200, READY_TIMEOUT_MS, () => child.isRunning()).catch((err: unknown) => {
            throw new Error(`${name}: ${String(err)}\n${tailOf(child.logFile)}`);
          });
        }),
      );
      notes.push(`the three services were ready ${((performance.now() - startedAt) / 1_000).toFixed(1)} s after spawning`);
      decisions = await watchDecisions(infra.kafkaBrokers, topicPrefix);

      const traffic = new TrafficGenerator({ seed: 23 });
      const figures: Figure[] = [];
      const watched = new Map<string, number>([...[...services.values()].map((c): [string, number] => [c.name, c.pid]), ...infraPids(ctx.root), ['bench', process.pid]]);
      figures.push(...(await measureThroughput(client('collector'), client('scorer'), traffic, watched, notes)));
      const rssAfterThroughput = new Map(SERVICES.map(({ name }) => [name, rssOf((services.get(name) as Child).pid)]));
      figures.push(...(await measureLatency(client('collector'), client('enforcer'), traffic, decisions, notes)));
      for (const { name } of SERVICES) {
        const pid = (services.get(name) as Child).pid;
        figures.push({ name: `${name} RSS at end`, value: mib(rssOf(pid)), unit: 'MiB', digits: 1, note: `${mib(rssAfterThroughput.get(name) ?? Number.NaN).toFixed(1)} MiB after the throughput run` });
      }
      notes.push(
        `Kafka ${infra.kafkaBrokers} and Redis ${infra.redisUrl} ${infra.startedHere ? 'started for this run and stopped after it' : 'were already running (left running)'}; topic prefix "${topicPrefix}", key prefix "${ctx.runId}:"`,
        'the bench, the three services, Kafka and Redis all share the same 2 cores',
        `service logs: ${join(ctx.runDir, 'services-*.log')}`,
      );
      return { part: 'services', figures, notes } satisfies PartReport;
    } finally {
      for (const c of clients.values()) c.close();
      await decisions?.close();
      const stopped = await Promise.all([...services.values()].map(async (child) => `${child.name} ${await stopChild(child, 10_000)}`));
      if (stopped.length > 0) progress(`services: stopped (${stopped.join(', ')})`);
      await forgetRun(infra, ctx.runId).then(
        (removed) => progress(`services: ${removed}`),
        (err: unknown) => progress(`services: could not remove this run's keys and topics: ${String(err)}`),
      );
      if (infra.startedHere) {
        progress('services: stopping the Kafka and Redis this run started');
        await stopInfra(ctx.root);
      }
      forgetInfra();
    }
  },
};

function spawnService(ctx: BenchContext, infra: Infra, name: ServiceName, port: number): Child {
  const upper = name.toUpperCase();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KAFKA_BROKERS: infra.kafkaBrokers,
    REDIS_URL: infra.redisUrl,
    KAFKA_TOPIC_PREFIX: `${ctx.runId}.`,
    REDIS_KEY_PREFIX: `${ctx.runId}:`,
    LOG_FORMAT: 'json',
    [`${upper}_PORT`]: String(port),
    [`${upper}_HOST`]: '127.0.0.1',
  };
  // Opt-in: a V8 CPU profile per service, written to <run>/profiles/ when the bench stops it.
  if (process.env['RATCHET_BENCH_CPU_PROF'] === '1') {
    env['NODE_OPTIONS'] = `${process.env['NODE_OPTIONS'] ?? ''} --require ${join(ctx.root, 'bench', 'lib', 'cpu-profile.cjs')}`.trim();
    env['RATCHET_CPU_PROF_DIR'] = join(ctx.runDir, 'profiles');
    env['RATCHET_CPU_PROF_NAME'] = name;
  }
  return spawnTs(name, `apps/${name}/src/main.ts`, env, join(ctx.runDir, `services-${name}.log`), ctx.root);
}

async function scoredSoFar(scorer: HttpClient): Promise<number> {
  const response = await scorer.get('/metrics');
  return metricValue(response.body, 'ratchet_scorer_events_total');
}

/** Resolves with the time the scorer's counter reached `total`, or undefined on a stall. */
async function waitUntilScored(scorer: HttpClient, total: number, timeoutMs: number): Promise<{ at: number | undefined; scored: number }> {
  const deadline = performance.now() + timeoutMs;
  let scored = 0;
  while (performance.now() < deadline) {
    scored = await scoredSoFar(scorer);
    if (scored >= total) return { at: performance.now(), scored };
    await sleep(50);
  }
  return { at: undefined, scored };
}

// ---- (a) sustained throughput -----------------------------------------------------------------

async function measureThroughput(collector: HttpClient, scorer: HttpClient, traffic: TrafficGenerator, watched: ReadonlyMap<string, number>, notes: string[]): Promise<Figure[]> {
  progress(`services: warm-up, ${WARM_UP_EVENTS} events`);
  const before = await scoredSoFar(scorer);
  await postNdjsonEvents(collector, traffic, WARM_UP_EVENTS, { batch: THROUGHPUT_BATCH, concurrency: THROUGHPUT_CONCURRENCY });
  await waitUntilScored(scorer, before + WARM_UP_EVENTS, DRAIN_TIMEOUT_MS);

  progress(`services: throughput, ${THROUGHPUT_EVENTS} events, ${THROUGHPUT_CONCURRENCY} concurrent POSTs of ${THROUGHPUT_BATCH}`);
  const base = await scoredSoFar(scorer);
  const cpu = sampleCpu(watched);
  const start = performance.now();
  await postNdjsonEvents(collector, traffic, THROUGHPUT_EVENTS, { batch: THROUGHPUT_BATCH, concurrency: THROUGHPUT_CONCURRENCY });
  const accepted = performance.now();
  const drained = await waitUntilScored(scorer, base + THROUGHPUT_EVENTS, DRAIN_TIMEOUT_MS);
  const cores = cpu();
  if (drained.at === undefined) {
    notes.push(`the scorer had scored only ${formatNumber(drained.scored - base)} of ${formatNumber(THROUGHPUT_EVENTS)} events ${DRAIN_TIMEOUT_MS / 1_000} s after the last POST`);
  }
  notes.push(
    `CPU used from the first POST until scored, in cores (of 2): ${[...cores].map(([name, c]) => `${name} ${c.toFixed(2)}`).join(', ')}`,
    `throughput: ${formatNumber(THROUGHPUT_EVENTS)} events (after ${formatNumber(WARM_UP_EVENTS)} warm-up), NDJSON bodies of ${formatNumber(THROUGHPUT_BATCH)}, ${THROUGHPUT_CONCURRENCY} in flight; "scored" polls ratchet_scorer_events_total on the scorer's /metrics every 50 ms`,
  );
  return [
    { name: 'throughput: collector accepted', value: ratePerSecond(THROUGHPUT_EVENTS, accepted - start), unit: 'events/s' },
    {
      name: 'throughput: ingest → scored (end to end)',
      value: drained.at === undefined ? Number.NaN : ratePerSecond(THROUGHPUT_EVENTS, drained.at - start),
      unit: 'events/s',
      target: atLeast(TARGET_EVENTS_PER_SECOND),
    },
  ];
}

/** Starts measuring the CPU the processes use; the result gives cores used on average since. */
function sampleCpu(pids: ReadonlyMap<string, number>): () => Map<string, number> {
  const startedAt = performance.now();
  const before = new Map([...pids].map(([name, pid]) => [name, cpuTimeOf(pid)]));
  return () => {
    const wall = performance.now() - startedAt;
    return new Map([...pids].map(([name, pid]) => [name, (cpuTimeOf(pid) - (before.get(name) ?? 0)) / wall]));
  };
}

/** Kafka's and Redis's pids from scripts/infra.sh's state, when it can be read; CPU figures only. */
function infraPids(root: string): Array<[string, number]> {
  const dir = process.env['RATCHET_INFRA_DIR'] ?? join(root, 'tmp', 'infra');
  return (['kafka', 'redis'] as const).flatMap((name): Array<[string, number]> => {
    try {
      const pid = Number(readFileSync(join(dir, name, `${name}.pid`), 'utf8').trim());
      cpuTimeOf(pid);
      return [[name, pid]];
    } catch {
      return [];
    }
  });
}

// ---- (b) latency at a fixed offered rate -----------------------------------------------------

/** Decisions seen on `enforcement.actions`, by entity, with the time they arrived here. */
interface DecisionWatch {
  arrivals: Map<string, number>;
  close(): Promise<void>;
}

async function watchDecisions(brokers: string, topicPrefix: string): Promise<DecisionWatch> {
  const kafka = new Kafka({ clientId: 'ratchet-bench', brokers: brokers.split(','), logLevel: logLevel.ERROR });
  const consumer: Consumer = kafka.consumer({ groupId: `${topicPrefix}bench-decisions`, maxWaitTimeInMs: 100 });
  const arrivals = new Map<string, number>();
  const joined = new Promise<void>((resolve) => {
    const remove = consumer.on(consumer.events.GROUP_JOIN, () => {
      remove();
      resolve();
    });
  });
  await consumer.connect();
  // From the beginning: earlier decisions name other entities, and nothing a probe causes can be missed.
  await consumer.subscribe({ topics: [`${topicPrefix}enforcement.actions`], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const at = performance.now();
      const action = JSON.parse(message.value?.toString('utf8') ?? '{}') as Partial<EnforcementAction>;
      // The deny: the default chain steps up and rate-limits the address on the way to it.
      if (action.entity && action.action === 'ingress.deny' && !arrivals.has(action.entity)) arrivals.set(action.entity, at);
    },
  });
  await joined;
  return { arrivals, close: () => consumer.disconnect() };
}

async function measureLatency(collector: HttpClient, enforcer: HttpClient, traffic: TrafficGenerator, decisions: DecisionWatch, notes: string[]): Promise<Figure[]> {
  const ticks = LATENCY_DURATION_MS / TICK_MS;
  const probeEvery = PROBE_EVERY_MS / TICK_MS;
  progress(`services: latency, ${(EVENTS_PER_TICK * 1_000) / TICK_MS} events/s for ${LATENCY_DURATION_MS / 1_000} s, a probe every ${PROBE_EVERY_MS} ms`);
  const probes: Array<{ ip: string; sentAt: number }> = [];
  const postLatencies: number[] = [];
  const authzFirstDeny: number[] = [];
  const inFlight: Array<Promise<void>> = [];
  let failedPosts = 0;
  let lateTicks = 0;

  const post = (body: string): Promise<void> => {
    const sentAt = performance.now();
    return collector.postNdjson('/v1/events', body).then(
      (response) => {
        postLatencies.push(performance.now() - sentAt);
        if (response.status !== 202) failedPosts++;
      },
      () => void failedPosts++,
    );
  };

  const start = performance.now();
  for (let tick = 0; tick < ticks; tick++) {
    const due = start + tick * TICK_MS;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    else if (wait < -TICK_MS / 2) lateTicks++;
    inFlight.push(post(traffic.ndjson(EVENTS_PER_TICK)));
    if (tick % probeEvery === 0) {
      const ip = probeAddress(probes.length);
      const sentAt = performance.now();
      probes.push({ ip, sentAt });
      inFlight.push(post(bruteForceNdjson(ip, PROBE_FAILURES)));
      if (probes.length <= AUTHZ_PROBES) inFlight.push(timeFirstDeny(enforcer, ip, sentAt).then((ms) => void (ms !== undefined && authzFirstDeny.push(ms))));
    }
  }
  const offeredFor = performance.now() - start;
  await Promise.all(inFlight);

  const deadline = performance.now() + DECISION_TIMEOUT_MS;
  while (performance.now() < deadline && probes.some((p) => !decisions.arrivals.has(`ip:${p.ip}`))) await sleep(50);
  const latencies = probes.flatMap((p) => {
    const at = decisions.arrivals.get(`ip:${p.ip}`);
    return at === undefined ? [] : [at - p.sentAt];
  });
  const decided = summarize(latencies);
  const authz = summarize(authzFirstDeny);
  const posts = summarize(postLatencies);
  const missing = probes.length - latencies.length;

  notes.push(
    `latency: ${formatNumber(ticks * EVENTS_PER_TICK)} background events offered at ${formatNumber(ratePerSecond(ticks * EVENTS_PER_TICK, offeredFor))}/s plus ${probes.length} probes (${PROBE_FAILURES} failed logins from a fresh address in one POST); ` +
      `decision latency = arrival of ip:<probe> on enforcement.actions at the bench's own consumer − send time of the probe's POST`,
    `decisions seen for ${latencies.length} of ${probes.length} probes${missing > 0 ? ` (${missing} missing after ${DECISION_TIMEOUT_MS / 1_000} s)` : ''}; POSTs failed: ${failedPosts}; sender ticks more than ${TICK_MS / 2} ms late: ${lateTicks}`,
    `with ${decided.n} probes the nearest-rank p99 is the slowest probe; all of them, sorted (ms): ${[...latencies].sort((a, b) => a - b).map((ms) => ms.toFixed(0)).join(' ')}`,
    `/authz first 403, timed for the first ${AUTHZ_PROBES} probes by polling every 10 ms with X-Real-IP: <probe> (ms after the probe's POST): ${authzFirstDeny.map((ms) => ms.toFixed(0)).join(', ') || 'none reached 403'}`,
  );
  return [
    { name: `probe → decision on topic p50 (n=${decided.n})`, value: decided.p50, unit: 'ms', digits: 1 },
    { name: `probe → decision on topic p90 (n=${decided.n})`, value: decided.p90, unit: 'ms', digits: 1 },
    { name: `probe → decision on topic p99 (n=${decided.n})`, value: decided.p99, unit: 'ms', digits: 1, target: atMost(TARGET_P99_MS) },
    { name: `probe → decision on topic max (n=${decided.n})`, value: decided.max, unit: 'ms', digits: 1 },
    { name: `probe → first 403 from /authz, median (n=${authz.n})`, value: authz.p50, unit: 'ms', digits: 1, note: `max ${authz.max.toFixed(1)} ms` },
    { name: `POST /v1/events response time p50 (n=${posts.n})`, value: posts.p50, unit: 'ms', digits: 1 },
    { name: `POST /v1/events response time p99 (n=${posts.n})`, value: posts.p99, unit: 'ms', digits: 1 },
  ];
}

/** Polls /authz as NGINX would ask about `ip` until it answers 403; ms since `sentAt`, or undefined. */
async function timeFirstDeny(enforcer: HttpClient, ip: string, sentAt: number): Promise<number | undefined> {
  const deadline = sentAt + DECISION_TIMEOUT_MS;
  while (performance.now() < deadline) {
    const response = await enforcer.get('/authz', { 'x-real-ip': ip, 'x-original-uri': '/login', 'x-original-method': 'POST' });
    if (response.status === 403) return performance.now() - sentAt;
    await sleep(10);
  }
  return undefined;
}
