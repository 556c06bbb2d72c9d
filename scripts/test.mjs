#!/usr/bin/env node
// Runs the whole suite: type check, then every spec with Node's test runner.
// Starts the real Kafka and Redis the integration and end-to-end specs need (scripts/infra.sh),
// and stops them again, unless they were already running or --unit is given.
//   npm test                 everything
//   npm test -- --unit       unit specs only (no Kafka, no Redis)
//   npm test -- path/a.spec.ts ...   just these files (infra started when any needs it)
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const explicit = args.filter((a) => !a.startsWith('--'));

/** Specs that need real infrastructure: `*.int.spec.ts` (adapters) and `*.e2e.spec.ts` (whole system). */
const needsInfra = (file) => /\.(int|e2e)\.spec\.ts$/.test(file);

function specs(dir) {
  const found = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...specs(path));
    else if (name.endsWith('.spec.ts')) found.push(relative(root, path));
  }
  return found;
}

let files = explicit.length > 0 ? explicit : ['apps', 'libs', 'test'].flatMap((d) => specs(join(root, d)));
if (unitOnly) files = files.filter((f) => !needsInfra(f));
files.sort((a, b) => Number(needsInfra(a)) - Number(needsInfra(b)) || a.localeCompare(b));

if (explicit.length === 0) {
  console.log('type check: tsc --noEmit');
  const tsc = spawnSync('npx', ['tsc', '-p', 'tsconfig.json', '--noEmit'], { cwd: root, stdio: 'inherit' });
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
}

const env = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} -r @swc-node/register`.trim() };
let startedInfra = false;
if (files.some(needsInfra) && !(env.KAFKA_BROKERS && env.REDIS_URL)) {
  const wasUp = spawnSync('bash', ['scripts/infra.sh', 'status'], { cwd: root, stdio: 'ignore' }).status === 0;
  const exports = execFileSync('bash', ['scripts/infra.sh', 'up'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  for (const [, name, value] of exports.matchAll(/^export (\w+)=(\S+)$/gm)) env[name] = value;
  startedInfra = !wasUp;
}

const stop = () => {
  if (startedInfra) spawnSync('bash', ['scripts/infra.sh', 'down'], { cwd: root, stdio: 'inherit' });
};
process.on('SIGINT', () => (stop(), process.exit(130)));
process.on('SIGTERM', () => (stop(), process.exit(143)));

// One file at a time: the integration specs share one broker and two cores.
const run = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files], {
  cwd: root,
  env,
  stdio: 'inherit',
});
stop();
process.exit(run.status ?? 1);
