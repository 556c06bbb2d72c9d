import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ACTION_KINDS } from '@ratchet/contracts';
import { DEFAULT_POLICY_SETTINGS, objectName } from '@ratchet/policy';
import { authEventInput, awaitUntil, enforcementAction } from '@ratchet/testing';
import { readEmbeddedConfig } from '../config';
import { startEmbedded } from '../embedded-app';
import { parsePolicyArgs, runPolicyRender } from './policy.command';

const NOW = Date.parse('2026-03-14T10:00:00.000Z');

/** Decisions as the enforcer writes them on enforcement.actions. */
const quarantine = enforcementAction('network.quarantine', 'svc:spiffe://cluster.local/ns/shop/sa/cart', {
  params: { selector: 'app=cart' },
  decidedAt: NOW - 60_000,
});
const expiredDeny = enforcementAction('ingress.deny', 'ip:203.0.113.9', { expiresAt: NOW - 1 });

describe('ratchet policy render', { timeout: 60_000 }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ratchet-policy-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('renders the decisions in force from a file into one manifest per object, and reports unreadable lines', async () => {
    const file = join(dir, 'actions.jsonl');
    await writeFile(file, [JSON.stringify(quarantine), JSON.stringify(expiredDeny), '{"id":"x","action":"ingress.block"}', 'not json', ''].join('\n'));
    const out = join(dir, 'manifests');
    const options = parsePolicyArgs(['render', '--target', 'network-policy,nginx-ingress-policy', '--decisions', file, '--out', out], [], 'http://127.0.0.1:1');
    const result = await runPolicyRender(options, DEFAULT_POLICY_SETTINGS, NOW);
    assert.equal(result.expired, 1);
    assert.deepEqual(result.problems, [`${file} line 3: action "ingress.block" is not one of ${ACTION_KINDS.join(', ')}`, `${file} line 4: not JSON`]);
    const path = join(out, 'network-policy', `networkpolicy-shop-${objectName(quarantine)}.yaml`);
    assert.deepEqual(result.written, [path]);
    const text = await readFile(path, 'utf8');
    assert.match(text, /kind: NetworkPolicy/);
    assert.match(text, /podSelector:\n {4}matchLabels:\n {6}app: cart/);
    assert.match(text, /ratchet\.dev\/expires-at: 2026-03-14T10:59:00\.000Z/);
  });

  it('refuses unknown commands, targets and options with the usage', () => {
    assert.throws(() => parsePolicyArgs(['apply'], [], 'http://x'), /"apply" is not a policy command\nusage: ratchet policy render/);
    assert.throws(() => parsePolicyArgs(['render', '--target', 'calico'], [], 'http://x'), /--target: "calico" is not a policy target/);
    assert.throws(() => parsePolicyArgs(['render', '--decisions', 'a', '--url', 'http://x'], [], 'http://x'), /give --decisions or --url, once/);
  });

  describe('against a running Ratchet', () => {
    let app: NestFastifyApplication;
    let url: string;
    before(async () => {
      // The embedded shape as an operator starts it, on a free port, quiet.
      app = await startEmbedded(readEmbeddedConfig({ RATCHET_PORT: '0', LOG_LEVEL: 'error' }));
      const address = app.getHttpServer().address();
      url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    });
    after(() => app.close());

    it('renders the decisions GET /v1/decisions answers, to stdout', async () => {
      const attacker = '198.51.100.77';
      const events = Array.from({ length: 20 }, () => JSON.stringify(authEventInput({ time: new Date().toISOString(), client: { ip: attacker }, principal: { type: 'user', id: 'root@example.com' } })));
      const posted = await fetch(`${url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: events.join('\n') });
      assert.equal(posted.status, 202);
      await awaitUntil('the address to be denied', async () => ((await fetch(`${url}/authz`, { headers: { 'x-real-ip': attacker } })).status === 403 ? true : undefined));

      const options = parsePolicyArgs(['render', '--target', 'istio-authorization-policy', '--url', url], [], 'http://127.0.0.1:1');
      const result = await runPolicyRender(options, DEFAULT_POLICY_SETTINGS, Date.now());
      assert.deepEqual(result.problems, []);
      assert.match(result.stdout, /# istio-authorization-policy for ingress\.deny\|ip:198\.51\.100\.77\n/);
      assert.match(result.stdout, /action: DENY\n {2}rules:\n {4}- from:\n {8}- source:\n {12}remoteIpBlocks:\n {14}- 198\.51\.100\.77\n/);
    });
  });
});
