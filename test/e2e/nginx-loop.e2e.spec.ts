import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { awaitUntil, testInfra, uniqueName } from '@ratchet/testing';
import { IngestProcess } from './support/ingest';
import { NginxProcess } from './support/nginx';
import { freePort, sharedInfraEnv, startServicesShape, type ServicesShape } from './support/services';

const ATTACKER = '203.0.113.66';
const BENIGN = ['198.51.100.10', '198.51.100.11', '198.51.100.12'] as const;
const DENY_TTL = '4s';

/**
 * The credential-attack chain as an operator would write it, with a TTL short enough for the
 * test to see the decision lapse. It denies on the evidence both brute-force detectors carry.
 */
const CHAINS = `apiVersion: ratchet.dev/v1
kind: Chain
metadata:
  name: credential-attack
  description: Deny an address guessing passwords at the ingress, briefly
spec:
  match: signal.type == "brute_force"
  steps:
    - if: signal.evidence.?failures.orValue(0) >= 10
      then: [{ action: ingress.deny, ttl: ${DENY_TTL} }]
  mode: enforce
`;

/**
 * The whole loop against a real NGINX: Debian's NGINX with `auth_request` → the enforcer's /authz
 * in front of a login app, its `combined` access log tailed by `ratchet ingest --source
 * nginx-access --follow` into the collector, the scorer and the enforcer behind it over the shared
 * Kafka and Redis (the services shape, as deployed). Nothing but NGINX's own log tells Ratchet
 * about the attack.
 */
describe('NGINX access log → collector → Kafka → scorer → enforcer → NGINX auth_request', { timeout: 240_000 }, () => {
  const infra = testInfra();
  const prefix = `${uniqueName('e2e-nginx-loop')}.`;
  let dir: string;
  let upstream: Server;
  let services: ServicesShape;
  let nginx: NginxProcess;
  let ingest: IngestProcess;
  /** The client address (X-Forwarded-For, passed on by NGINX) of every request the app served. */
  const served: string[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ratchet-nginx-loop-'));
    await writeFile(join(dir, 'chains.yaml'), CHAINS);
    const [upstreamPort, nginxPort] = await Promise.all([freePort(), freePort()]);
    upstream = createServer((request, response) => {
      served.push(String(request.headers['x-forwarded-for']));
      void answerLogin(request).then((status) => {
        response.statusCode = status;
        response.end(status === 401 ? 'wrong user name or password' : 'welcome');
      });
    });
    await new Promise<void>((resolve) => upstream.listen(upstreamPort, '127.0.0.1', resolve));
    services = await startServicesShape({ ...sharedInfraEnv(infra, prefix), RATCHET_CHAINS: join(dir, 'chains.yaml') });
    const accessLog = join(dir, 'access.log');
    nginx = new NginxProcess(nginxPort, upstreamPort, `${services.enforcer.url}/authz`, { accessLog });
    await nginx.start();
    ingest = new IngestProcess('nginx-access', accessLog, services.collector.url);
    ingest.start();
  });

  after(async () => {
    await ingest?.stop();
    await nginx?.stop();
    await services?.stop();
    await new Promise((resolve) => upstream?.close(resolve));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('answers 403 at NGINX to an address guessing passwords, 200 to the other clients, and 200 again once the decision expires', async (t) => {
    assert.equal(await nginx.get('/', BENIGN[0]), 200);
    assert.equal(await nginx.postForm('/login', BENIGN[1], { user: 'alice', password: 'correct horse battery staple' }), 200);

    // The attacker guesses until NGINX refuses it; the others keep browsing meanwhile.
    const attackerAnswers = new Map<number, number>();
    const benignAnswers = new Map<number, number>();
    const count = (answers: Map<number, number>, status: number): void => void answers.set(status, (answers.get(status) ?? 0) + 1);
    let guesses = 0;
    const attackStarted = performance.now();
    await awaitUntil(
      'NGINX to refuse the attacker',
      async () => {
        const status = await nginx.postForm('/login', ATTACKER, { user: 'admin', password: `guess-${++guesses}` });
        count(attackerAnswers, status);
        if (guesses % 5 === 0) count(benignAnswers, await nginx.get('/catalogue', BENIGN[guesses % BENIGN.length] as string));
        return status === 403 ? true : undefined;
      },
      { everyMs: 5, timeoutMs: 60_000 },
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\n--- ingest ---\n${ingest.log()}\n${services.log()}`);
    });
    const timeToEnforceMs = performance.now() - attackStarted;
    assert.deepEqual([...attackerAnswers.keys()].sort(), [401, 403], 'the app refused every guess until NGINX refused the attacker');
    assert.deepEqual([...benignAnswers.keys()], [200], 'the other clients were served throughout the attack');

    const servedBefore = served.length;
    assert.equal(await nginx.postForm('/login', ATTACKER, { user: 'admin', password: 'one more' }), 403);
    assert.equal(await nginx.get('/catalogue', ATTACKER), 403, 'the deny is on the address, not on the login path');
    assert.equal(served.length, servedBefore, 'a refused request never reaches the app');
    assert.equal(await nginx.get('/catalogue', BENIGN[2]), 200);
    assert.equal(served.at(-1), BENIGN[2]);

    const decisions = (await (await fetch(`${services.enforcer.url}/v1/decisions`)).json()) as { decisions: Array<{ entity: string; action: string; expiresAt: string; reason: { chain: string } }> };
    const deny = decisions.decisions.find((d) => d.entity === `ip:${ATTACKER}`);
    assert.equal(deny?.action, 'ingress.deny');
    assert.equal(deny.reason.chain, 'credential-attack');
    assert.ok(decisions.decisions.every((d) => !BENIGN.some((ip) => d.entity === `ip:${ip}`)), 'no benign client was decided on');

    // Browsing (GET) while refused is no guess and renews nothing: the decision lapses.
    await awaitUntil('the decision to expire', async () => ((await nginx.get('/catalogue', ATTACKER)) === 200 ? true : undefined), { everyMs: 100, timeoutMs: 60_000 });
    assert.ok(Date.now() >= Date.parse(deny.expiresAt), 'the attacker is let in again only after the decision expires');
    assert.equal(served.at(-1), ATTACKER);
    t.diagnostic(`time to enforce (first guess → first 403 at NGINX, through the access log and Kafka): ${Math.round(timeToEnforceMs)} ms, ${guesses} guesses`);
  });
});

/** The login app: one account, answering 401 to a wrong password as web apps do; every other request 200. */
async function answerLogin(request: IncomingMessage): Promise<number> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  if (request.method !== 'POST' || request.url !== '/login') return 200;
  const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
  return form.get('user') === 'alice' && form.get('password') === 'correct horse battery staple' ? 200 : 401;
}
