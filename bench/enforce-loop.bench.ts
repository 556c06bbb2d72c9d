import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { IngestProcess } from '../test/e2e/support/ingest';
import { NginxProcess } from '../test/e2e/support/nginx';
import { freePort, sharedInfraEnv, startServicesShape, type ServicesShape } from '../test/e2e/support/services';
import type { BenchPart } from './lib/context';
import { ensureInfra, stopInfra, stopInfraSync } from './lib/infra';
import { onAbort } from './lib/processes';
import { atMost, progress, type Figure, type PartReport } from './lib/report';
import { summarize } from './lib/stats';

/** Attackers timed one after another; one more goes first, untimed, to warm the pipeline up. */
const ATTACKERS = 20;
/** How long one attacker may guess before it counts as never refused. */
const GIVE_UP_MS = 30_000;
const TARGET_P99_MS = 1_000;

/** Attackers come from the benchmarking range (RFC 2544), which nothing else in the run uses. */
const attackerAddress = (i: number): string => `198.18.0.${i + 1}`;

/**
 * Time to enforce through the whole loop, as an operator would deploy it: Debian's NGINX with
 * `auth_request` → the enforcer, its `combined` access log tailed by `ratchet ingest --follow` into
 * the collector, the scorer and the enforcer over Kafka and Redis, the shipped default chains
 * (credential-attack: deny at 20 failed logins). Each attacker posts wrong passwords through NGINX
 * as fast as it is answered; the figure is its first request → its first 403 from NGINX.
 */
export const enforceLoopBench: BenchPart = {
  name: 'enforce-loop',
  summary: `time to enforce, first attack request → first 403 at a real NGINX, through its access log and Kafka (${ATTACKERS} attackers)`,
  async run(ctx) {
    progress('enforce-loop: checking Kafka and Redis (scripts/infra.sh)');
    const infra = await ensureInfra(ctx.root);
    const forgetInfra = infra.startedHere ? onAbort(() => stopInfraSync(ctx.root)) : () => undefined;
    let upstream: Server | undefined;
    let services: ServicesShape | undefined;
    let nginx: NginxProcess | undefined;
    let ingest: IngestProcess | undefined;
    try {
      const [upstreamPort, nginxPort] = await Promise.all([freePort(), freePort()]);
      upstream = createServer((request, response) => {
        request.resume();
        response.statusCode = request.method === 'POST' && request.url === '/login' ? 401 : 200;
        response.end();
      });
      await new Promise<void>((resolve) => upstream?.listen(upstreamPort, '127.0.0.1', resolve));
      progress('enforce-loop: starting collector, scorer and enforcer');
      services = await startServicesShape({ ...sharedInfraEnv({ kafkaBrokers: infra.kafkaBrokers.split(','), redisUrl: infra.redisUrl }, `${ctx.runId}-loop.`) });
      const accessLog = join(ctx.runDir, 'enforce-loop-access.log');
      nginx = new NginxProcess(nginxPort, upstreamPort, `${services.enforcer.url}/authz`, { accessLog, passRateLimits: true });
      await nginx.start();
      ingest = new IngestProcess('nginx-access', accessLog, services.collector.url);
      ingest.start();

      progress(`enforce-loop: 1 warm-up attacker, then ${ATTACKERS} timed one after another`);
      const warmUp = await attack(nginx, attackerAddress(ATTACKERS));
      const samples: number[] = [];
      const requests: number[] = [];
      let missed = 0;
      for (let i = 0; i < ATTACKERS; i++) {
        const run = await attack(nginx, attackerAddress(i));
        if (run.refusedAfterMs === undefined) missed++;
        else samples.push(run.refusedAfterMs);
        requests.push(run.requests);
      }
      const enforced = summarize(samples);
      const notes = [
        `each attacker POSTs /login (the app answers 401) through NGINX with its own X-Forwarded-For, one request after another, until NGINX answers 403; the default credential-attack chain steps up at 5 failures, rate-limits at 10 and denies at 20`,
        `path: NGINX access log (combined) → ratchet ingest --follow (file polled every 200 ms, batches flushed every 250 ms) → POST /v1/ingest/nginx-access → auth.events → scorer → risk.scores → enforcer → Redis → /authz`,
        `warm-up attacker: ${warmUp.refusedAfterMs === undefined ? 'never refused' : `${warmUp.refusedAfterMs.toFixed(0)} ms`}; requests each timed attacker sent before its 403: ${requests.join(' ')}${missed > 0 ? `; ${missed} never refused within ${GIVE_UP_MS / 1_000} s` : ''}`,
        `all samples, sorted (ms): ${[...samples].sort((a, b) => a - b).map((ms) => ms.toFixed(0)).join(' ')}; with ${enforced.n} samples the nearest-rank p99 is the slowest`,
        `Kafka ${infra.kafkaBrokers} and Redis ${infra.redisUrl} ${infra.startedHere ? 'started for this run and stopped after it' : 'were already running (left running)'}; NGINX, the three services, the shipper, Kafka and Redis share the same cores`,
      ];
      const figures: Figure[] = [
        { name: `time to enforce p50 (n=${enforced.n})`, value: enforced.p50, unit: 'ms', digits: 0 },
        { name: `time to enforce p99 (n=${enforced.n})`, value: enforced.p99, unit: 'ms', digits: 0, target: atMost(TARGET_P99_MS) },
        { name: `time to enforce max (n=${enforced.n})`, value: enforced.max, unit: 'ms', digits: 0 },
      ];
      return { part: 'enforce-loop', figures, notes } satisfies PartReport;
    } finally {
      await ingest?.stop();
      await nginx?.stop();
      if (services) {
        await writeFile(join(ctx.runDir, 'enforce-loop-services.log'), `${services.log()}\n--- ingest ---\n${ingest?.log() ?? ''}`);
        await services.stop();
      }
      await new Promise((resolve) => (upstream ? upstream.close(resolve) : resolve(undefined)));
      if (infra.startedHere) await stopInfra(ctx.root);
      forgetInfra();
    }
  },
};

/** One attacker guessing until NGINX answers 403: ms from its first request, and how many it sent. */
async function attack(nginx: NginxProcess, address: string): Promise<{ refusedAfterMs: number | undefined; requests: number }> {
  const started = performance.now();
  let requests = 0;
  while (performance.now() - started < GIVE_UP_MS) {
    requests++;
    const status = await nginx.postForm('/login', address, { user: 'admin', password: `guess-${requests}` });
    if (status === 403) return { refusedAfterMs: performance.now() - started, requests };
  }
  return { refusedAfterMs: undefined, requests };
}
