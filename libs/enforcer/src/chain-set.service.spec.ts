import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DEFAULT_CHAINS_FILE } from '@ratchet/chains';
import { ChainSetService, loadChainFiles, type ChainReload } from './chain-set.service';
import { EnforcerModule } from './enforcer.module';

const chain = (name: string, condition = 'score >= 90') => `apiVersion: ratchet.dev/v1
kind: Chain
metadata: { name: ${name} }
spec:
  match: signal.type == "brute_force"
  steps:
    - if: score >= 40
      then: [{ action: ingress.step-up, ttl: 15m }]
    - if: ${condition}
      then: [{ action: ingress.deny, ttl: 1h }]
`;

const dirs: string[] = [];
function chainDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'ratchet-chains-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function nextReload(service: ChainSetService): Promise<ChainReload> {
  return new Promise((resolve) => {
    const off = service.onReload((reload) => {
      off();
      resolve(reload);
    });
  });
}

describe('loadChainFiles', () => {
  it('loads the shipped default chains', () => {
    assert.deepEqual(loadChainFiles(DEFAULT_CHAINS_FILE).map((c) => c.name), ['credential-attack', 'account-takeover', 'east-west', 'control-plane']);
  });

  it('loads every YAML and JSON file of a directory in name order, multi-document YAML included', () => {
    const json = JSON.stringify({ apiVersion: 'ratchet.dev/v1', kind: 'Chain', metadata: { name: 'from-json' }, spec: { match: 'score > 0.0', steps: [{ if: 'score >= 90', then: [{ action: 'notify', ttl: '1h' }] }] } });
    const dir = chainDir({ 'b.yaml': `${chain('second')}---\n${chain('third')}`, 'a.yml': chain('first'), 'c.json': json, 'notes.txt': 'not a chain' });
    assert.deepEqual(loadChainFiles(dir).map((c) => c.name), ['first', 'second', 'third', 'from-json']);
  });

  it('refuses a chain set with an invalid chain, naming the file, the chain, the step and the expression', () => {
    const dir = chainDir({ 'ingress.yaml': chain('credential-attack', 'score >= ') });
    assert.throws(() => loadChainFiles(dir), (err: unknown) => {
      assert.ok(err instanceof Error);
      assert.match(err.message, new RegExp(`^${join(dir, 'ingress.yaml')}: chain credential-attack: steps\\[1\\]\\.if: "score >=" does not compile: Unexpected token: EOF$`));
      return true;
    });
  });

  it('refuses two files defining the same chain, naming both', () => {
    const dir = chainDir({ 'a.yaml': chain('twice'), 'b.yaml': chain('twice') });
    assert.throws(() => loadChainFiles(dir), { message: `${join(dir, 'b.yaml')}: chain twice: metadata.name: is already defined in ${join(dir, 'a.yaml')}` });
  });

  it('refuses a path that does not exist or holds no chain', () => {
    assert.throws(() => loadChainFiles('/nonexistent/chains.yaml'), { message: '/nonexistent/chains.yaml: cannot read: ENOENT' });
    const empty = chainDir({});
    assert.throws(() => loadChainFiles(empty), { message: `${empty}: holds no chain` });
  });
});

describe('ChainSetService', () => {
  it('reloads a changed file, keeps the previous set when the new one is invalid, and says why', async () => {
    const dir = chainDir({ 'chains.yaml': chain('credential-attack') });
    const path = join(dir, 'chains.yaml');
    const service = new ChainSetService({ path, watch: true, debounceMs: 20 }, loadChainFiles(path));
    service.onModuleInit();
    try {
      let reloaded = nextReload(service);
      writeFileSync(path, `${chain('credential-attack')}---\n${chain('account-takeover')}`);
      assert.deepEqual(await reloaded, { ok: true, chains: service.chains() });
      assert.deepEqual(service.chains().map((c) => c.name), ['credential-attack', 'account-takeover']);

      reloaded = nextReload(service);
      writeFileSync(path, chain('credential-attack', 'scor >= 90'));
      const refused = await reloaded;
      assert.equal(refused.ok, false);
      const error = `${path}: chain credential-attack: steps[1].if: "scor >= 90" does not compile: Unknown variable: scor`;
      assert.deepEqual(refused, { ok: false, error });
      assert.deepEqual(service.chains().map((c) => c.name), ['credential-attack', 'account-takeover'], 'the previous set is no longer in force');
      assert.equal(service.status().lastError, error);

      reloaded = nextReload(service);
      writeFileSync(path, chain('only-one'));
      assert.equal((await reloaded).ok, true);
      assert.deepEqual(service.chains().map((c) => c.name), ['only-one']);
      assert.equal(service.status().lastError, undefined);
    } finally {
      service.onApplicationShutdown();
    }
  });
});

describe('EnforcerModule', () => {
  it('refuses to start with an invalid chain file, naming the file, chain, step and expression', () => {
    const dir = chainDir({ 'chains.yaml': chain('credential-attack', 'score >= "high"') });
    assert.throws(() => EnforcerModule.forRoot({ chainsPath: dir }), {
      message: `${join(dir, 'chains.yaml')}: chain credential-attack: steps[1].if: "score >= \\"high\\"" does not compile: no such overload: double >= string`,
    });
  });
});
