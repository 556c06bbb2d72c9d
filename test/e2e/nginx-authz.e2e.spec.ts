import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { authEventInput, awaitUntil } from '@ratchet/testing';
import { NginxProcess } from './support/nginx';
import { freePort, ServiceProcess } from './support/services';

/**
 * NGINX `auth_request` against Ratchet's /authz, for real: Debian's NGINX in front of an
 * upstream, configured with the block the README documents, and Ratchet (embedded shape) as
 * its own process.
 */
describe('NGINX auth_request in front of an upstream, asking Ratchet', { timeout: 120_000 }, () => {
  let upstream: Server;
  let ratchet: ServiceProcess;
  let nginx: NginxProcess;
  const served: string[] = [];

  before(async () => {
    const [upstreamPort, ratchetPort, nginxPort] = await Promise.all([freePort(), freePort(), freePort()]);
    upstream = createServer((request, response) => {
      served.push(String(request.headers['x-forwarded-for'] ?? request.socket.remoteAddress));
      response.end('hello from the app');
    });
    await new Promise<void>((resolve) => upstream.listen(upstreamPort, '127.0.0.1', resolve));
    ratchet = new ServiceProcess('ratchet', ratchetPort, { LOG_LEVEL: 'warn' });
    await ratchet.start();
    nginx = new NginxProcess(nginxPort, upstreamPort, `${ratchet.url}/authz`);
    await nginx.start();
  });

  after(async () => {
    await nginx?.stop();
    await ratchet?.stop();
    await new Promise((resolve) => upstream?.close(resolve));
  });

  it('refuses an attacking client at NGINX with 403 while other clients still reach the app', async () => {
    const attacker = '203.0.113.77';
    const benign = '198.51.100.7';
    assert.equal(await nginx.get('/login', attacker), 200);
    assert.equal(await nginx.get('/', benign), 200);

    const attack = Array.from({ length: 20 }, () =>
      JSON.stringify(authEventInput({ time: new Date().toISOString(), client: { ip: attacker }, principal: { type: 'user', id: 'admin@example.com' } })),
    ).join('\n');
    const ingest = await fetch(`${ratchet.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: attack });
    assert.equal(ingest.status, 202);

    await awaitUntil('NGINX to refuse the attacker', async () => ((await nginx.get('/login', attacker)) === 403 ? true : undefined));
    const servedBefore = served.length;
    assert.equal(await nginx.get('/login', attacker), 403);
    assert.equal(served.length, servedBefore, 'a refused request never reaches the app');
    assert.equal(await nginx.get('/', benign), 200);
    assert.equal(served.at(-1), benign);
  });

  it('judges the client NGINX saw, not an address the client claims behind it', async () => {
    // The attacker is denied; a request claiming to come from a benign address through the
    // attacker's own connection is still the attacker to NGINX's realip (right-most trusted hop).
    const denied = '203.0.113.77';
    await awaitUntil('the attacker to be denied', async () => ((await nginx.get('/', denied)) === 403 ? true : undefined));
    assert.equal((await fetch(`${nginx.url}/`, { headers: { 'x-forwarded-for': `198.51.100.8, ${denied}` } })).status, 403);
  });
});
