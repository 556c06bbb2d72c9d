import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createRedisClient, RedisDecisionStore } from '@ratchet/platform/services';
import { decisionOf, testInfra, uniqueName } from '@ratchet/testing';
import { NginxProcess } from './support/nginx';
import { freePort, ServiceProcess, sharedInfraEnv } from './support/services';

/**
 * The verdicts beyond deny through a real NGINX `auth_request`: the enforcer service over the
 * shared Redis, decisions put in the decision store as the chain engine would, and Debian's
 * NGINX with the documented rate-limit recipe.
 */
describe('NGINX auth_request passing on step-up and rate-limit answers', { timeout: 120_000 }, () => {
  const infra = testInfra();
  const prefix = `${uniqueName('e2e-nginx-fast')}.`;
  let upstream: Server;
  let enforcer: ServiceProcess;
  let nginx: NginxProcess;
  let decisions: RedisDecisionStore;

  before(async () => {
    const [upstreamPort, enforcerPort, nginxPort] = await Promise.all([freePort(), freePort(), freePort()]);
    upstream = createServer((_request, response) => response.end('hello from the app'));
    await new Promise<void>((resolve) => upstream.listen(upstreamPort, '127.0.0.1', resolve));
    enforcer = new ServiceProcess('enforcer', enforcerPort, sharedInfraEnv(infra, prefix));
    await enforcer.start();
    nginx = new NginxProcess(nginxPort, upstreamPort, `${enforcer.url}/authz`, { passRateLimits: true });
    await nginx.start();
    decisions = new RedisDecisionStore(await createRedisClient(infra.redisUrl, 'e2e-nginx-fast-decisions'), prefix);
  });

  after(async () => {
    await nginx?.stop();
    await enforcer?.stop();
    await decisions?.close();
    await new Promise((resolve) => upstream?.close(resolve));
  });

  it('answers 429 with Retry-After once a rate-limited client has spent its burst', async () => {
    const scraper = '203.0.113.91';
    const limit = decisionOf('ingress.rate-limit', `ip:${scraper}`, { decidedAt: Date.now(), ttlMs: 15 * 60_000, params: { rps: 0.01, burst: 2 } });
    await decisions.put([limit]);
    // The mirror hears of the decision by push; until then the burst is not being spent.
    const statuses: number[] = [];
    for (let i = 0; i < 50 && statuses.at(-1) !== 429; i++) statuses.push(await nginx.get('/search', scraper));
    assert.equal(statuses.at(-1), 429, `statuses: ${statuses.join(' ')}`);
    assert.deepEqual(statuses.slice(-3), [200, 200, 429]);
    const again = await nginx.request('/search', scraper);
    assert.equal(again.status, 429);
    assert.ok(Number(again.headers.get('retry-after')) > 90, `Retry-After ${again.headers.get('retry-after')}`);
    assert.equal(await nginx.get('/search', '198.51.100.7'), 200);
  });

  it('passes a step-up challenge on as 401 with its WWW-Authenticate', async () => {
    const traveller = '203.0.113.92';
    await decisions.put([decisionOf('ingress.step-up', `ip:${traveller}`, { decidedAt: Date.now(), ttlMs: 15 * 60_000, params: { acr: 'phr' } })]);
    let answer = await nginx.request('/account', traveller);
    for (let i = 0; i < 50 && answer.status !== 401; i++) answer = await nginx.request('/account', traveller);
    assert.equal(answer.status, 401);
    assert.match(answer.headers.get('www-authenticate') ?? '', /^Bearer error="insufficient_user_authentication".*acr_values="phr"$/);
  });
});
