import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon, { type AutocannonRequest } from 'autocannon';
import type { BenchContext, BenchPart } from './lib/context';
import { assertPortFree, histogramQuantileBound, HttpClient, waitForStatus } from './lib/http';
import { rssOf, spawnTs, stopChild, tailOf, type Child } from './lib/processes';
import { atLeast, atMost, formatNumber, mib, progress, type Figure, type PartReport } from './lib/report';
import { ratePerSecond, summarize } from './lib/stats';
import { bruteForceNdjson } from './lib/traffic';

const PORT = 18080;
export const DENIED_ADDRESSES = 1_000;
export const ALLOWED_ADDRESSES = 1_000;
/** The brute-force detector's default threshold: this many failures in 5 minutes. */
export const FAILURES_PER_ATTACKER = 20;
const ATTACKERS_PER_REQUEST = 50;
const CONNECTIONS = [16, 32] as const;
const WARM_UP_S = 2;
const DURATION_S = 10;
const TARGET_RPS = 15_000;
const TARGET_P99_MS = 5;
const TARGET_HANDLER_P99_MS = 1;

export const deniedAddress = (i: number): string => `172.20.${i >> 8}.${i & 255}`;
export const allowedAddress = (i: number): string => `172.21.${i >> 8}.${i & 255}`;

export const authzBench: BenchPart = {
  name: 'authz',
  summary: `GET /authz under autocannon, ${DENIED_ADDRESSES} decisions in force`,
  async run(ctx) {
    const client = new HttpClient(`http://127.0.0.1:${PORT}`, 4);
    await assertPortFree(client, PORT).catch((err: unknown) => {
      client.close();
      throw err;
    });
    const app = spawnEmbeddedApp(ctx);
    try {
      await waitForStatus(client, '/readyz', 200, 60_000, () => app.isRunning()).catch((err: unknown) => {
        throw new Error(`${String(err)}\n${tailOf(app.logFile)}`);
      });
      const setupMs = await createDecisions(client);

      const figures: Figure[] = [];
      for (const connections of CONNECTIONS) {
        progress(`authz: ${connections} connections, ${WARM_UP_S} s warm-up + ${DURATION_S} s`);
        const run = await loadAuthz(connections);
        figures.push(
          { name: `${connections} connections: throughput`, value: run.rps, unit: 'req/s', target: atLeast(TARGET_RPS) },
          { name: `${connections} connections: latency p50`, value: run.p50, unit: 'ms', digits: 2 },
          { name: `${connections} connections: latency p99`, value: run.p99, unit: 'ms', digits: 2, target: atMost(TARGET_P99_MS) },
          { name: `${connections} connections: latency max`, value: run.max, unit: 'ms', digits: 2, note: `first answer per connection left out (up to ${run.firstOnConnectionMax.toFixed(0)} ms)` },
          { name: `${connections} connections: answered 403`, value: run.share403, unit: '%', digits: 1, note: `200: ${run.share200.toFixed(1)}%, other: ${run.other}, errors: ${run.errors}` },
        );
      }
      // Envoy's ext_authz HTTP service mode: the same verdicts, the original path under /ext_authz.
      progress(`authz: ext_authz HTTP service, 16 connections, ${WARM_UP_S} s warm-up + ${DURATION_S} s`);
      const httpService = await loadAuthz(16, 'ext_authz');
      figures.push(
        { name: 'ext_authz HTTP service, 16 connections: throughput', value: httpService.rps, unit: 'req/s', target: atLeast(TARGET_RPS) },
        { name: 'ext_authz HTTP service, 16 connections: latency p99', value: httpService.p99, unit: 'ms', digits: 2, target: atMost(TARGET_P99_MS) },
        { name: 'ext_authz HTTP service, 16 connections: answered 403', value: httpService.share403, unit: '%', digits: 1, note: `200: ${httpService.share200.toFixed(1)}%, other: ${httpService.other}, errors: ${httpService.errors}` },
      );
      const handlerP99 = histogramQuantileBound((await client.get('/metrics')).body, 'ratchet_enforcer_check_seconds', 'api="authz"', 0.99) * 1_000;
      figures.push(
        { name: 'handler p99 (all runs)', value: handlerP99, unit: 'ms', digits: 2, target: atMost(TARGET_HANDLER_P99_MS), note: 'upper bound of the ratchet_enforcer_check_seconds bucket holding the 99th percentile' },
        { name: 'server RSS after', value: mib(rssOf(app.pid)), unit: 'MiB', digits: 1 },
      );
      const notes = [
        `${formatNumber(DENIED_ADDRESSES)} decisions created by posting ${FAILURES_PER_ATTACKER} failed logins from each of ${formatNumber(DENIED_ADDRESSES)} addresses (took ${(setupMs / 1_000).toFixed(1)} s to be in force)`,
        `each connection cycles through ${formatNumber(DENIED_ADDRESSES + ALLOWED_ADDRESSES)} requests alternating a denied and an allowed X-Real-IP; HTTP/1.1 keep-alive, no pipelining`,
        'latency percentiles are computed here from the response times autocannon reports for every answer, 200 and 403 alike (its own histogram keeps only 2xx); ' +
          "the first answer on each connection is left out: it also waits while autocannon builds every connection's request buffers, one connection after another",
        'autocannon (in the bench process) and the server (one Node process) share the same 2 cores: the figures are a lower bound for a dedicated host',
        `embedded app log: ${app.logFile}`,
      ];
      return { part: 'authz', figures, notes } satisfies PartReport;
    } finally {
      client.close();
      await stopChild(app);
    }
  },
};

function spawnEmbeddedApp(ctx: BenchContext): Child {
  progress(`authz: starting the embedded app on ${PORT}`);
  // A thousand attackers at once is what the bench sets up, far above the default cap on new
  // actions a minute (60), which guards a cluster from a runaway chain; lifted for the setup only.
  const env = { ...process.env, RATCHET_PORT: String(PORT), RATCHET_HOST: '127.0.0.1', LOG_FORMAT: 'json', ENFORCER_MAX_NEW_ACTIONS_PER_MINUTE: '100000' };
  return spawnTs('ratchet', 'apps/ratchet/src/main.ts', env, join(ctx.runDir, 'authz-ratchet.log'), ctx.root);
}

/** Brute-forces from every denied address and waits until all their decisions are in force. */
export async function createDecisions(client: HttpClient, part = 'authz'): Promise<number> {
  progress(`${part}: creating ${DENIED_ADDRESSES} decisions`);
  const start = performance.now();
  for (let first = 0; first < DENIED_ADDRESSES; first += ATTACKERS_PER_REQUEST) {
    const bodies: string[] = [];
    for (let i = first; i < Math.min(first + ATTACKERS_PER_REQUEST, DENIED_ADDRESSES); i++) bodies.push(bruteForceNdjson(deniedAddress(i), FAILURES_PER_ATTACKER));
    const response = await client.postNdjson('/v1/events', bodies.join('\n'));
    if (response.status !== 202) throw new Error(`POST /v1/events answered ${response.status}: ${response.body.slice(0, 300)}`);
  }
  const deadline = performance.now() + 30_000;
  let active = 0;
  while (performance.now() < deadline) {
    const response = await client.get('/v1/decisions');
    active = (JSON.parse(response.body) as { decisions: Array<{ action: string }> }).decisions.filter((d) => d.action === 'ingress.deny').length;
    if (active >= DENIED_ADDRESSES) return performance.now() - start;
    await sleep(100);
  }
  throw new Error(`only ${active} of ${DENIED_ADDRESSES} denials came into force within 30 s`);
}

interface AuthzRun {
  rps: number;
  p50: number;
  p99: number;
  max: number;
  share403: number;
  share200: number;
  other: number;
  errors: number;
  /** Slowest first answer on a connection, left out of the percentiles. */
  firstOnConnectionMax: number;
}

async function loadAuthz(connections: number, door: Door = 'authz'): Promise<AuthzRun> {
  const requests: AutocannonRequest[] = [];
  for (let i = 0; i < Math.max(DENIED_ADDRESSES, ALLOWED_ADDRESSES); i++) {
    if (i < DENIED_ADDRESSES) requests.push(authzRequest(deniedAddress(i), door));
    if (i < ALLOWED_ADDRESSES) requests.push(authzRequest(allowedAddress(i), door));
  }
  const latencies: number[] = [];
  const firstOnConnection: number[] = [];
  const connectionsSeen = new Set<unknown>();
  const statuses = new Map<number, number>();
  let responses = 0;
  let started = 0;
  const instance = autocannon({
    url: `http://127.0.0.1:${PORT}`,
    connections,
    duration: DURATION_S,
    warmup: { connections, duration: WARM_UP_S },
    requests,
    renderProgressBar: false,
    renderResultsTable: false,
    renderLatencyTable: false,
  });
  instance.on('start', () => (started = performance.now()));
  instance.on('response', (connection: unknown, statusCode: number, _bytes: number, responseTimeMs: number) => {
    responses++;
    statuses.set(statusCode, (statuses.get(statusCode) ?? 0) + 1);
    // The first answer on each connection also waits for autocannon to build every connection's
    // request buffers; it measures the load generator, not the server.
    if (connectionsSeen.has(connection)) {
      latencies.push(responseTimeMs);
    } else {
      connectionsSeen.add(connection);
      firstOnConnection.push(responseTimeMs);
    }
  });
  const result = await instance;
  const elapsed = performance.now() - started;
  const latency = summarize(latencies);
  const count403 = statuses.get(403) ?? 0;
  const count200 = statuses.get(200) ?? 0;
  return {
    rps: ratePerSecond(responses, elapsed),
    p50: latency.p50,
    p99: latency.p99,
    max: latency.max,
    share403: (100 * count403) / responses,
    share200: (100 * count200) / responses,
    other: responses - count403 - count200,
    errors: result.errors + result.timeouts,
    firstOnConnectionMax: Math.max(...firstOnConnection),
  };
}

/** A check as NGINX `auth_request` sends it (`/authz`), or as Envoy's ext_authz HTTP service does (`/ext_authz/<original path>`). */
function authzRequest(ip: string, door: Door): AutocannonRequest {
  return door === 'authz'
    ? { method: 'GET', path: '/authz', headers: { 'x-real-ip': ip, 'x-original-uri': '/login', 'x-original-method': 'POST' } }
    : { method: 'POST', path: '/ext_authz/login', headers: { 'x-real-ip': ip } };
}

type Door = 'authz' | 'ext_authz';
