import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findSource } from '@ratchet/sources';
import { runIngest } from '../apps/ratchet/src/cli/ingest.command';
import type { BenchContext, BenchPart } from './lib/context';
import { HttpClient, metricValue, waitForStatus } from './lib/http';
import { spawnTs, stopChild } from './lib/processes';
import { atLeast, formatNumber, progress, type PartReport } from './lib/report';

/**
 * Lines in the side-by-side log. CrowdSec replays about 400 lines/s on this machine, so 20,000 lines
 * keep its half near a minute; `RATCHET_BENCH_CROWDSEC_LINES` changes it.
 */
const DEFAULT_LINES = 20_000;
const TARGET_SPEED_UP = 25;
const PORT = 18_431;
const LAPI = '127.0.0.1:18080';

export const crowdsecBench: BenchPart = {
  name: 'crowdsec',
  summary: 'the same NGINX log with planted attackers through CrowdSec 1.4.6 (replay mode) and through Ratchet (file ingest, whole pipeline)',
  run: (context) => sideBySide(context),
};

interface Side {
  name: string;
  seconds: number;
  linesPerSecond: number;
  flagged: Set<string>;
}

/**
 * One log, two engines. The log comes from `../shared/peers/crowdsec/gen_input.py`: the real
 * Apache log of `../shared/datasets/access-logs`, time-shifted and repeated, with two attackers per
 * copy — `203.0.113.k` (30 failed `POST /login`) and `198.51.100.k` (40 distinct 404 paths).
 * CrowdSec runs offline with the peers folder's scripts; Ratchet runs embedded as `npm start` does,
 * fed by `ratchet ingest --source nginx-access <file>`, timed from the first line sent to the last
 * event scored.
 */
async function sideBySide(context: BenchContext): Promise<PartReport> {
  const peers = join(context.root, '..', 'shared', 'peers', 'crowdsec');
  const baseLog = join(context.root, '..', 'shared', 'datasets', 'access-logs', 'apache-2015-05.log');
  for (const tool of ['crowdsec', 'cscli', 'python3']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
      throw new Error(`${tool} is not installed: apt-get install -y crowdsec python3 (see ${join(peers, 'README.md')})`);
    }
  }
  const lines = Number(process.env['RATCHET_BENCH_CROWDSEC_LINES'] ?? DEFAULT_LINES);
  const dir = join(context.runDir, 'crowdsec');
  const log = join(dir, 'input', 'access');
  progress(`crowdsec: generating ${formatNumber(lines)} lines with planted attackers`);
  execFileSync('sh', ['-c', `mkdir -p "${dir}/input" && python3 "${peers}/gen_input.py" "${baseLog}" "${log}" ${lines}`], { stdio: 'ignore' });
  // gen_input.py names the file after its length: access20000.log.
  const file = `${log}${lines}.log`;
  if (!existsSync(file)) throw new Error(`gen_input.py wrote no ${file}`);
  const planted = plantedAttackers(readFileSync(file, 'utf8'));

  const ratchet = await runRatchet(context, file, planted);
  const crowdsec = await runCrowdsec(peers, dir, file);

  const missed = (side: Side): string[] => [...planted].filter((ip) => !side.flagged.has(ip));
  const speedUp = ratchet.linesPerSecond / crowdsec.linesPerSecond;
  const describe = (side: Side): string => {
    const onPlanted = [...side.flagged].filter((ip) => planted.has(ip)).length;
    const others = [...side.flagged].filter((ip) => !planted.has(ip));
    const miss = missed(side);
    return `${side.name} flagged ${side.flagged.size} addresses: ${onPlanted} of ${planted.size} planted${miss.length ? ` (missed ${miss.join(', ')})` : ''}; others: ${others.slice(0, 12).join(', ') || 'none'}${others.length > 12 ? ` … ${others.length - 12} more` : ''}`;
  };
  return {
    part: 'crowdsec',
    figures: [
      { name: 'Ratchet, file ingest → scored', value: ratchet.linesPerSecond, unit: 'lines/s', note: `${ratchet.seconds.toFixed(1)} s` },
      { name: 'CrowdSec 1.4.6, replay', value: crowdsec.linesPerSecond, unit: 'lines/s', note: `${crowdsec.seconds.toFixed(1)} s` },
      { name: 'Ratchet ÷ CrowdSec', value: speedUp, unit: '×', digits: 1, target: atLeast(TARGET_SPEED_UP) },
      { name: 'planted attackers Ratchet missed', value: missed(ratchet).length, unit: `of ${planted.size}`, target: { kind: 'max', value: 0 } },
    ],
    notes: [`log: ${file} (${formatNumber(lines)} lines)`, describe(ratchet), describe(crowdsec)],
  };
}

/** The attackers gen_input.py planted: every 203.0.113.k and 198.51.100.k in the log. */
function plantedAttackers(text: string): Set<string> {
  return new Set([...text.matchAll(/^((?:203\.0\.113|198\.51\.100)\.\d+) /gm)].map((m) => m[1] as string));
}

async function runRatchet(context: BenchContext, file: string, planted: ReadonlySet<string>): Promise<Side> {
  const env = { ...process.env, RATCHET_PORT: String(PORT), LOG_FORMAT: 'json', LOG_LEVEL: 'warn' };
  const entry = join(context.root, 'apps', 'ratchet', 'src', 'main.ts');
  const app = spawnTs('ratchet', entry, env, join(context.runDir, 'crowdsec', 'ratchet.log'), context.root);
  const url = `http://127.0.0.1:${PORT}`;
  const client = new HttpClient(url, 2);
  const source = findSource('nginx-access');
  if (!source) throw new Error('the nginx-access source is not in the catalogue');
  try {
    await waitForStatus(client, '/readyz', 200, 30_000, () => app.isRunning());
    const scoredBefore = metricValue((await client.get('/metrics')).body, 'ratchet_events_scored_total');
    progress(`crowdsec: Ratchet ingesting ${file}`);
    const started = performance.now();
    // What `ratchet ingest --source nginx-access <file>` does, in this process.
    const totals = await runIngest({ source, url, file, follow: false, batch: 1_000, flushMs: 1_000 });
    // Scoring runs behind ingest: the run ends when every accepted event is scored.
    while (metricValue((await client.get('/metrics')).body, 'ratchet_events_scored_total') - scoredBefore < totals.accepted) await sleep(5);
    const seconds = (performance.now() - started) / 1_000;
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean).length;
    return { name: 'Ratchet', seconds, linesPerSecond: lines / seconds, flagged: await flaggedByRatchet(client, planted) };
  } finally {
    client.close();
    await stopChild(app);
  }
}

/**
 * Every address Ratchet raised a signal on: the recent signals (`GET /v1/signals`, paged by its
 * cursor), and each planted address's risk record (`GET /v1/entities`). The log spans days (each
 * copy is shifted by four), and the signal list keeps only the last 24 hours of event time, so
 * the older copies' signals are no longer listed while their risk records stand.
 */
async function flaggedByRatchet(client: HttpClient, planted: ReadonlySet<string>): Promise<Set<string>> {
  const flagged = new Set<string>();
  let cursor: string | undefined;
  do {
    const response = await client.get(`/v1/signals?limit=1000${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`);
    if (response.status !== 200) throw new Error(`GET /v1/signals answered ${response.status}: ${response.body}`);
    const page = JSON.parse(response.body) as { signals: Array<{ entity: string }>; next?: string };
    for (const s of page.signals) if (s.entity.startsWith('ip:')) flagged.add(s.entity.slice(3));
    cursor = page.next;
  } while (cursor !== undefined);
  for (const ip of planted) {
    const entity = await client.get(`/v1/entities/ip:${ip}`);
    if (entity.status === 200 && (JSON.parse(entity.body) as { risk: { contributions: unknown[] } }).risk.contributions.length > 0) flagged.add(ip);
  }
  return flagged;
}

async function runCrowdsec(peers: string, dir: string, file: string): Promise<Side> {
  const home = join(dir, 'cs');
  const env = { ...process.env, B: home };
  progress('crowdsec: setting up an offline CrowdSec sandbox');
  execFileSync('sh', [join(peers, 'setup_crowdsec.sh')], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const config = join(home, 'etc', 'config.yaml');
  const lapi = spawnSync('sh', ['-c', `crowdsec -c "${config}" -no-cs > "${home}/lapi.log" 2>&1 & echo $!`], { encoding: 'utf8' });
  const lapiPid = Number(lapi.stdout.trim());
  try {
    await waitForLapi();
    progress(`crowdsec: replaying ${file} (about 400 lines/s)`);
    const out = execFileSync('sh', [join(peers, 'bench_crowdsec.sh'), file, 'side-by-side'], { env, encoding: 'utf8' });
    const wall = Number(/wall=([\d.]+)s/.exec(out)?.[1] ?? NaN);
    const lines = Number(/lines=(\d+)/.exec(out)?.[1] ?? NaN);
    const alertsFile = join(home, 'results', 'side-by-side.alerts.json');
    const alerts = (JSON.parse(readFileSync(alertsFile, 'utf8')) ?? []) as Array<{ source: { value: string } }>;
    return { name: 'CrowdSec', seconds: wall, linesPerSecond: lines / wall, flagged: new Set(alerts.map((a) => a.source.value)) };
  } finally {
    if (lapiPid > 0) spawnSync('kill', [String(lapiPid)]);
  }
}

async function waitForLapi(): Promise<void> {
  const [host, port] = LAPI.split(':') as [string, string];
  for (let i = 0; i < 150; i++) {
    const listening = await new Promise<boolean>((resolve) => {
      const socket = connect(Number(port), host, () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (listening) return;
    await sleep(200);
  }
  throw new Error(`the CrowdSec local API did not listen on ${LAPI}`);
}
