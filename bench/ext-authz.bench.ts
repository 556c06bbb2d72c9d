import { join } from 'node:path';
import { loadAuthorizationService, type ProtoCheckRequest, type ProtoCheckResponse } from '@ratchet/enforcer';
import { ALLOWED_ADDRESSES, allowedAddress, createDecisions, DENIED_ADDRESSES, deniedAddress, FAILURES_PER_ATTACKER } from './authz.bench';
import type { BenchContext, BenchPart } from './lib/context';
import { H2GrpcClient } from './lib/grpc-h2';
import { assertPortFree, histogramQuantileBound, HttpClient, waitForStatus } from './lib/http';
import { cpuTimeOf, rssOf, spawnTs, stopChild, tailOf, type Child } from './lib/processes';
import { atLeast, atMost, formatNumber, mib, progress, type Figure, type PartReport } from './lib/report';
import { ratePerSecond, summarize } from './lib/stats';
import { bruteForceNdjson } from './lib/traffic';

const PORT = 18090;
const GRPC_PORT = 18191;
/** Calls in flight at once, over CHANNELS HTTP/2 connections (an Envoy with a few workers). */
const IN_FLIGHT = [16, 32, 64] as const;
const CHANNELS = 4;
const WARM_UP_S = 2;
const DURATION_S = 10;
/** Fresh attackers whose time to enforce is measured one after another. */
const TIME_TO_ENFORCE_SAMPLES = 20;
const TARGET_CHECKS = 15_000;
const TARGET_P99_MS = 5;
const TARGET_HANDLER_P99_MS = 1;

export const extAuthzBench: BenchPart = {
  name: 'ext-authz',
  summary: `Envoy ext_authz gRPC Check against the embedded app, ${DENIED_ADDRESSES} decisions in force`,
  async run(ctx) {
    const http = new HttpClient(`http://127.0.0.1:${PORT}`, 4);
    await assertPortFree(http, PORT).catch((err: unknown) => {
      http.close();
      throw err;
    });
    const app = spawnApp(ctx);
    const clients: H2GrpcClient[] = [];
    try {
      await waitForStatus(http, '/readyz', 200, 60_000, () => app.isRunning()).catch((err: unknown) => {
        throw new Error(`${String(err)}\n${tailOf(app.logFile)}`);
      });
      for (let i = 0; i < CHANNELS; i++) clients.push(new H2GrpcClient(`http://127.0.0.1:${GRPC_PORT}`));
      const setupMs = await createDecisions(http, 'ext-authz');
      const figures: Figure[] = [];
      for (const inFlight of IN_FLIGHT) {
        progress(`ext-authz: ${inFlight} calls in flight over ${CHANNELS} channels, ${WARM_UP_S} s warm-up + ${DURATION_S} s`);
        await loadChecks(clients, inFlight, WARM_UP_S * 1_000);
        const serverBefore = cpuTimeOf(app.pid);
        const clientBefore = process.cpuUsage();
        const run = await loadChecks(clients, inFlight, DURATION_S * 1_000);
        const clientCpu = process.cpuUsage(clientBefore);
        const calls = (run.rate * DURATION_S) / 1_000;
        const serverUs = (cpuTimeOf(app.pid) - serverBefore) / calls;
        const clientUs = (clientCpu.user + clientCpu.system) / 1_000 / calls;
        figures.push(
          { name: `${inFlight} in flight: throughput`, value: run.rate, unit: 'checks/s', target: atLeast(TARGET_CHECKS) },
          { name: `${inFlight} in flight: client p50`, value: run.p50, unit: 'ms', digits: 2 },
          { name: `${inFlight} in flight: client p99`, value: run.p99, unit: 'ms', digits: 2, target: atMost(TARGET_P99_MS) },
          { name: `${inFlight} in flight: denied`, value: run.deniedShare, unit: '%', digits: 1, note: `errors: ${run.errors}${clients.some((c) => c.lastClose) ? `, connections closed: ${clients.map((c) => c.lastClose ?? '-').join(' ')}` : ''}` },
          { name: `${inFlight} in flight: server CPU per check`, value: serverUs, unit: 'µs', digits: 1, note: `client (bench) CPU per check: ${clientUs.toFixed(1)} µs; CPU time does not depend on what else the machine runs, throughput does` },
        );
      }
      const handlerP99 = histogramQuantileBound((await http.get('/metrics')).body, 'ratchet_enforcer_check_seconds', 'api="ext_authz_grpc"', 0.99) * 1_000;
      figures.push({ name: 'handler p99 (all runs)', value: handlerP99, unit: 'ms', digits: 2, target: atMost(TARGET_HANDLER_P99_MS), note: 'upper bound of the ratchet_enforcer_check_seconds bucket holding the 99th percentile' });
      progress(`ext-authz: time to enforce, ${TIME_TO_ENFORCE_SAMPLES} fresh attackers`);
      const enforce = summarize(await timesToEnforce(http, clients[0] as H2GrpcClient));
      figures.push(
        { name: 'time to enforce p50', value: enforce.p50, unit: 'ms', digits: 1, note: 'first attack event posted → first Check answered PERMISSION_DENIED' },
        { name: 'time to enforce p99', value: enforce.p99, unit: 'ms', digits: 1 },
        { name: 'server RSS after', value: mib(rssOf(app.pid)), unit: 'MiB', digits: 1 },
      );
      const notes = [
        `${formatNumber(DENIED_ADDRESSES)} ingress.deny decisions created by posting ${FAILURES_PER_ATTACKER} failed logins from each address (took ${(setupMs / 1_000).toFixed(1)} s to be in force)`,
        `checks alternate a denied and an allowed source address (${formatNumber(DENIED_ADDRESSES + ALLOWED_ADDRESSES)} in all), each a CheckRequest as Envoy sends it (source address, HTTP method, path, host, headers)`,
        `client latency is measured per call in the bench process, from send to answer, over ${CHANNELS} HTTP/2 connections with a bare gRPC client writing pre-encoded HTTP/2 frames on a socket (bench/lib/grpc-h2.ts: a C++ Envoy costs next to nothing per call, node:http2 on the client cost more CPU than the server); the server is Ratchet's node:http2 unary server; the handler figure is the server-side histogram`,
        'CPU per check: user + system time of the app (from /proc) and of the bench process over the measured run, divided by the checks answered: unlike throughput, it does not move with what else the machine runs',
        `time to enforce: each sample posts ${FAILURES_PER_ATTACKER} failed logins from a fresh address and polls Check for it; it measures Ratchet's pipeline (collector → scorer → chains → decision → mirror) to the ext_authz answer, not an Envoy in between (test/e2e/envoy-ext-authz.e2e.spec.ts proves the real Envoy path)`,
        'the bench (client) and the server share the same 2 cores: the figures are a lower bound for a dedicated host',
        `embedded app log: ${app.logFile}`,
      ];
      return { part: 'ext-authz', figures, notes } satisfies PartReport;
    } finally {
      for (const client of clients) client.close();
      http.close();
      await stopChild(app);
    }
  },
};

function spawnApp(ctx: BenchContext): Child {
  progress(`ext-authz: starting the embedded app on ${PORT} (gRPC ${GRPC_PORT})`);
  const env: NodeJS.ProcessEnv = { ...process.env, RATCHET_PORT: String(PORT), RATCHET_HOST: '127.0.0.1', RATCHET_EXT_AUTHZ_GRPC_PORT: String(GRPC_PORT), LOG_FORMAT: 'json', ENFORCER_MAX_NEW_ACTIONS_PER_MINUTE: '100000' };
  // Opt-in, as in the services part: a V8 CPU profile of the app in <run>/profiles/ when the bench stops it.
  if (process.env['RATCHET_BENCH_CPU_PROF'] === '1') {
    env['NODE_OPTIONS'] = `${process.env['NODE_OPTIONS'] ?? ''} --require ${join(ctx.root, 'bench', 'lib', 'cpu-profile.cjs')}`.trim();
    env['RATCHET_CPU_PROF_DIR'] = join(ctx.runDir, 'profiles');
    env['RATCHET_CPU_PROF_NAME'] = 'ratchet';
  }
  return spawnTs('ratchet', 'apps/ratchet/src/main.ts', env, join(ctx.runDir, 'ext-authz-ratchet.log'), ctx.root);
}

const CHECK_PATH = '/envoy.service.auth.v3.Authorization/Check';
const CHECK = loadAuthorizationService()['Check'];

/** A CheckRequest as Envoy sends it, serialized and framed once. */
function checkFrame(address: string): Buffer {
  if (!CHECK) throw new Error('Authorization service without Check');
  return H2GrpcClient.frame(CHECK.requestSerialize(checkRequest(address)));
}

/** Calls Check; true when Ratchet refused the request. */
async function denied(client: H2GrpcClient, frame: Buffer): Promise<boolean> {
  return statusCode(await client.call(CHECK_PATH, frame)) !== 0;
}

/**
 * `CheckResponse.status.code`, read off the bytes (field 1, then its field 1) rather than by
 * protobufjs, which would cost the client more than the server spends answering; protobufjs
 * reads the rare status longer than 127 bytes.
 */
function statusCode(response: Buffer): number {
  if (response[0] !== 0x0a) return 0;
  const length = response[1] as number;
  if (length === 0 || length > 127) return length === 0 ? 0 : (CHECK?.responseDeserialize(response) as ProtoCheckResponse).status.code;
  return response[2] === 0x08 ? (response[3] as number) : 0;
}

function checkRequest(address: string): ProtoCheckRequest {
  return {
    attributes: {
      source: { address: { socket_address: { address } } },
      request: { http: { method: 'POST', path: '/login', host: 'shop.example.com', headers: { ':authority': 'shop.example.com', 'user-agent': 'Mozilla/5.0', accept: '*/*' } } },
    },
  };
}

/** Keeps `inFlight` calls outstanding for `durationMs`, spread over the channels. */
async function loadChecks(clients: readonly H2GrpcClient[], inFlight: number, durationMs: number): Promise<{ rate: number; p50: number; p99: number; deniedShare: number; errors: number }> {
  const requests: Buffer[] = [];
  for (let i = 0; i < Math.max(DENIED_ADDRESSES, ALLOWED_ADDRESSES); i++) requests.push(checkFrame(deniedAddress(i % DENIED_ADDRESSES)), checkFrame(allowedAddress(i % ALLOWED_ADDRESSES)));
  const latencies: number[] = [];
  let deniedCount = 0;
  let errors = 0;
  let next = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  const worker = async (w: number): Promise<void> => {
    const client = clients[w % clients.length] as H2GrpcClient;
    while (performance.now() < deadline) {
      const frame = requests[next++ % requests.length] as Buffer;
      const sent = performance.now();
      try {
        const refused = await denied(client, frame);
        latencies.push(performance.now() - sent);
        if (refused) deniedCount++;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, (_, w) => worker(w)));
  const latency = summarize(latencies);
  return { rate: ratePerSecond(latencies.length, performance.now() - started), p50: latency.p50, p99: latency.p99, deniedShare: (100 * deniedCount) / Math.max(1, latencies.length), errors };
}

/** For fresh attackers, one at a time: ms from posting the attack to the first denied Check. */
async function timesToEnforce(http: HttpClient, client: H2GrpcClient): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < TIME_TO_ENFORCE_SAMPLES; i++) {
    const address = `172.22.0.${i + 1}`;
    const started = performance.now();
    const response = await http.postNdjson('/v1/events', bruteForceNdjson(address, FAILURES_PER_ATTACKER));
    if (response.status !== 202) throw new Error(`POST /v1/events answered ${response.status}: ${response.body.slice(0, 300)}`);
    const deadline = started + 10_000;
    const frame = checkFrame(address);
    for (;;) {
      if (await denied(client, frame)) break;
      if (performance.now() > deadline) throw new Error(`${address} was not denied within 10 s`);
    }
    samples.push(performance.now() - started);
  }
  return samples;
}
