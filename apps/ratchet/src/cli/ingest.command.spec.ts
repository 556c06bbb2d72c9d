import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { authEventInput, awaitUntil, deferred } from '@ratchet/testing';
import type { SourceCatalogue } from '@ratchet/sources';
import { readEmbeddedConfig, readIngestSources } from '../config';
import { startEmbedded } from '../embedded-app';
import { parseIngestArgs, runIngest, type BatchResult } from './ingest.command';

const line = (ip: string, user = 'root@example.com'): string =>
  JSON.stringify(authEventInput({ time: new Date().toISOString(), client: { ip }, principal: { type: 'user', id: user } }));

describe('ratchet ingest', { timeout: 60_000 }, () => {
  let app: NestFastifyApplication;
  let url: string;
  let dir: string;
  let sources: SourceCatalogue;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ratchet-ingest-'));
    await writeFile(join(dir, 'sources.json'), JSON.stringify(VPN_SOURCES));
    sources = readIngestSources({ RATCHET_SOURCES: join(dir, 'sources.json') });
    app = await startEmbedded({
      host: '127.0.0.1',
      port: 0,
      bodyLimit: 1_048_576,
      trustedProxies: ['127.0.0.1/32'],
      allowlist: [],
      logFormat: 'json',
      logLevels: ['fatal', 'error'],
      telemetry: { exporter: 'none', sampleRatio: 0 },
      sources,
    });
    const address = app.getHttpServer().address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  after(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  const authz = async (ip: string): Promise<number> => (await fetch(`${url}/authz`, { headers: { 'x-real-ip': ip } })).status;

  it('sends a whole file and Ratchet acts on what is in it', async () => {
    const file = join(dir, 'events.ndjson');
    await writeFile(file, [...Array.from({ length: 20 }, () => line('203.0.113.31')), 'not json', ''].join('\n'));
    const options = parseIngestArgs(['--source', 'canonical', '--url', url, '--batch', '7', file]);
    const totals = await runIngest(options);
    assert.deepEqual(totals, { records: 21, accepted: 20, ignored: 0, rejected: 1 });
    await awaitUntil('the address to be denied', async () => ((await authz('203.0.113.31')) === 403 ? true : undefined));
  });

  it('follows a growing file, through a line written in two pieces and a truncation', async () => {
    const file = join(dir, 'growing.ndjson');
    await writeFile(file, `${line('198.51.100.41')}\n`);
    const stop = new AbortController();
    let accepted = 0;
    const milestones = new Map<number, ReturnType<typeof deferred>>([1, 3, 4].map((n) => [n, deferred()]));
    const onBatch = (result: BatchResult): void => {
      accepted += result.accepted;
      for (const [n, d] of milestones) if (accepted >= n) d.resolve(undefined);
    };
    const running = runIngest({ ...parseIngestArgs(['--source', 'canonical', '--url', url, '--follow', file]), flushMs: 20, signal: stop.signal, onBatch });

    const guard = setTimeout(() => stop.abort(), 30_000);
    await milestones.get(1)?.promise;
    const next = line('198.51.100.42');
    await appendFile(file, `${line('198.51.100.43')}\n${next.slice(0, 30)}`);
    await appendFile(file, `${next.slice(30)}\n`);
    await milestones.get(3)?.promise;

    await truncate(file, 0);
    await appendFile(file, `${line('198.51.100.44')}\n`);
    await milestones.get(4)?.promise;

    clearTimeout(guard);
    stop.abort();
    const totals = await running;
    assert.deepEqual(totals, { records: 4, accepted: 4, ignored: 0, rejected: 0 });
  });

  it('follows an NGINX access log and denies the address brute-forcing the login', async () => {
    const file = join(dir, 'access.log');
    const attacker = '203.0.113.99';
    const combined = (ip: string, request: string, status: number, at: Date): string =>
      `${ip} - - [${timeLocal(at)}] "${request}" ${status} 512 "-" "Mozilla/5.0"`;
    await writeFile(file, `${combined('192.0.2.80', 'GET / HTTP/1.1', 200, new Date())}\n`);
    const stop = new AbortController();
    let accepted = 0;
    const all = deferred();
    const running = runIngest({
      ...parseIngestArgs(['--source', 'nginx-access', '--url', url, '--follow', file]),
      flushMs: 20,
      signal: stop.signal,
      onBatch: (r) => ((accepted += r.accepted), accepted >= 21 && all.resolve(undefined)),
    });
    try {
      // Distinct lines (one per second): byte-identical lines share an id and count once.
      const failures = Array.from({ length: 20 }, (_, i) => combined(attacker, 'POST /login HTTP/1.1', 401, new Date(Date.now() - (20 - i) * 1_000)));
      await appendFile(file, `${failures.join('\n')}\n`);
      await all.promise;
      await awaitUntil('the brute-forcing address to be denied', async () => ((await authz(attacker)) === 403 ? true : undefined));
      assert.equal(await authz('192.0.2.80'), 200);
    } finally {
      stop.abort();
    }
    assert.deepEqual(await running, { records: 21, accepted: 21, ignored: 0, rejected: 0 });
  });

  it('counts a burst of identical access-log lines, one per line', async () => {
    const file = join(dir, 'burst.log');
    const attacker = '203.0.113.98';
    const same = `${attacker} - - [${timeLocal(new Date())}] "POST /login HTTP/1.1" 401 512 "-" "hydra"`;
    await writeFile(file, `${Array.from({ length: 20 }, () => same).join('\n')}\n`);
    assert.deepEqual(await runIngest(parseIngestArgs(['--source', 'nginx-access', '--url', url, file])), { records: 20, accepted: 20, ignored: 0, rejected: 0 });
    await awaitUntil('the hammering address to be denied', async () => ((await authz(attacker)) === 403 ? true : undefined));
  });

  it('sends a source the operator configured in RATCHET_SOURCES, and Ratchet acts on it', async () => {
    const file = join(dir, 'vpn.ndjson');
    const attacker = '203.0.113.97';
    const start = Date.now() - 60_000;
    const attempts = Array.from({ length: 20 }, (_, i) => JSON.stringify({ ts: Math.floor(start / 1000) + i, session: `vpn-${i}`, peer: attacker, login: 'frank', status: 401 }));
    await writeFile(file, `${attempts.join('\n')}\n`);
    const options = parseIngestArgs(['--source', 'vpn', '--url', url, file], {}, sources);
    assert.equal(options.source.framing, 'json');
    assert.deepEqual(await runIngest(options), { records: 20, accepted: 20, ignored: 0, rejected: 0 });
    await awaitUntil('the address to be denied', async () => ((await authz(attacker)) === 403 ? true : undefined));
  });

  it('lists configured sources in its usage, and knows none without RATCHET_SOURCES', () => {
    assert.throws(() => parseIngestArgs(['--source', 'nope', 'x'], {}, sources), /sources: canonical, .*, vpn$/);
    assert.throws(() => parseIngestArgs(['--source', 'vpn', 'x']), /--source: "vpn" is not a source/);
  });

  it('stops start-up on a sources file that breaks a rule, naming the variable, the file and the setting', async () => {
    const bad = join(dir, 'bad-sources.json');
    await writeFile(bad, JSON.stringify({ sources: { vpn: { ...VPN_SOURCES.sources.vpn, constants: { plane: 'north-south', action: 'signin' } } } }));
    assert.throws(() => readEmbeddedConfig({ RATCHET_SOURCES: bad }), { message: `RATCHET_SOURCES: ${bad}: sources.vpn.constants.action: "signin" must be one of login, mfa, token, request, api (map it)` });
    assert.throws(() => readIngestSources({ RATCHET_SOURCES: join(dir, 'missing.json') }), { message: `RATCHET_SOURCES: ${join(dir, 'missing.json')}: cannot be read (ENOENT)` });
    await writeFile(bad, '{"sources": {');
    assert.throws(() => readIngestSources({ RATCHET_SOURCES: bad }), { message: /^RATCHET_SOURCES: .*bad-sources\.json: is not JSON \(/ });
  });

  it('refuses to start without a known source, naming the ones it knows', () => {
    assert.throws(() => parseIngestArgs(['--source', 'syslog', 'x.log']), /--source: "syslog" is not a source[\s\S]*sources: .*canonical/);
    assert.throws(() => parseIngestArgs(['x.log']), /--source is required/);
    assert.throws(() => parseIngestArgs(['--source', 'canonical']), /name a file, or - for standard input/);
    assert.throws(() => parseIngestArgs(['--source', 'canonical', '--follow', '-']), /--follow needs a file/);
    assert.throws(() => parseIngestArgs(['--source', 'canonical', '--batch', '0', 'x']), /--batch must be a whole number/);
  });
});

/** A VPN concentrator's JSON log, defined without code (epoch-second times). */
const VPN_SOURCES = {
  sources: {
    vpn: {
      fields: {
        time: { path: 'ts', format: 'epoch-s' },
        id: 'session',
        'client.ip': 'peer',
        'principal.id': 'login',
        outcome: { path: 'status', map: { '200': 'success' }, otherwise: 'failure' },
      },
      constants: { plane: 'north-south', action: 'login' },
    },
  },
};

/** NGINX's $time_local: `24/Nov/2026:10:00:00 +0000`. */
function timeLocal(at: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${pad(at.getUTCDate())}/${months[at.getUTCMonth()]}/${at.getUTCFullYear()}:${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())} +0000`;
}
