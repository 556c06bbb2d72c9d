import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createRedisClient, RedisDecisionStore } from '@ratchet/platform/services';
import { awaitUntil, decisionOf, testInfra, uniqueName } from '@ratchet/testing';
import { EnvoyProcess, TestPki } from './support/envoy';
import { freePort, ServiceProcess, sharedInfraEnv } from './support/services';

const ATTACKER = 'spiffe://ratchet.test/ns/shop/sa/rider';
const BENIGN = 'spiffe://ratchet.test/ns/shop/sa/cart';
/** Denied through the HTTP-service Envoy, so the two cases do not share a decision. */
const COURIER = 'spiffe://ratchet.test/ns/shop/sa/courier';
/** Long enough to see the denial, short enough to see it lapse. */
const DENY_FOR_MS = 4_000;

/**
 * Envoy's ext_authz filter calling Ratchet over gRPC, for real: the official Envoy binary
 * terminating mTLS, so the mesh principal Ratchet judges is the URI SAN of a client certificate
 * Envoy verified (not a header anyone could send); the enforcer service over the shared Redis;
 * a decision put in the decision store as the chain engine would.
 */
describe('Envoy ext_authz (gRPC and HTTP service) in front of an upstream, asking the Ratchet enforcer', { timeout: 180_000 }, () => {
  const infra = testInfra();
  const prefix = `${uniqueName('e2e-envoy')}.`;
  let upstream: Server;
  let enforcer: ServiceProcess;
  let envoy: EnvoyProcess;
  let envoyHttp: EnvoyProcess;
  let pki: TestPki;
  let decisions: RedisDecisionStore;
  let attacker: { key: Buffer; cert: Buffer; ca: Buffer };
  let benign: { key: Buffer; cert: Buffer; ca: Buffer };
  let courier: { key: Buffer; cert: Buffer; ca: Buffer };
  let served = 0;

  before(async () => {
    const [upstreamPort, enforcerPort, grpcPort, envoyPort, adminPort, envoyHttpPort, adminHttpPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort(), freePort(), freePort()]);
    upstream = createServer((_request, response) => {
      served++;
      response.end('hello from the app');
    });
    await new Promise<void>((resolve) => upstream.listen(upstreamPort, '127.0.0.1', resolve));
    pki = await TestPki.create();
    [attacker, benign, courier] = await Promise.all([pki.client('rider', ATTACKER), pki.client('cart', BENIGN), pki.client('courier', COURIER)]);
    // The enforcer answers only callers sending the token: both Envoys are configured with it, as
    // an operator would (gRPC initial_metadata, HTTP headers_to_add), so every verdict below went
    // through that check.
    const token = `e2e-${prefix}-fast-path-token`;
    enforcer = new ServiceProcess('enforcer', enforcerPort, { ...sharedInfraEnv(infra, prefix), RATCHET_EXT_AUTHZ_GRPC_PORT: String(grpcPort), RATCHET_FAST_PATH_TOKEN: token });
    await enforcer.start();
    envoy = new EnvoyProcess(envoyPort, adminPort, upstreamPort, { kind: 'grpc', port: grpcPort, token }, pki);
    envoyHttp = new EnvoyProcess(envoyHttpPort, adminHttpPort, upstreamPort, { kind: 'http', port: enforcerPort, token }, pki);
    await Promise.all([envoy.start(), envoyHttp.start()]);
    decisions = new RedisDecisionStore(await createRedisClient(infra.redisUrl, 'e2e-envoy-decisions'), prefix);
  });

  after(async () => {
    await Promise.all([envoy?.stop(), envoyHttp?.stop()]);
    await enforcer?.stop();
    await decisions?.close();
    await new Promise((resolve) => upstream?.close(resolve));
    await pki?.remove();
  });

  it('answers 403 to a denied mesh principal while other workloads get 200, and 200 again once the decision expires', async () => {
    // The first check also opens Envoy's HTTP/2 connection to Ratchet: await it rather than race it.
    await awaitUntil('Envoy to let the workloads through', async () => ((await envoy.get('/orders', benign)) === 200 ? true : undefined), { everyMs: 100 });
    assert.equal(await envoy.get('/orders', attacker), 200);

    const decidedAt = Date.now();
    const deny = decisionOf('mesh.deny', `svc:${ATTACKER}`, { decidedAt, ttlMs: DENY_FOR_MS, chain: 'lateral-movement' });
    await decisions.put([deny]);
    await awaitUntil('Envoy to refuse the attacker', async () => ((await envoy.get('/orders', attacker)) === 403 ? true : undefined), { everyMs: 5, timeoutMs: DENY_FOR_MS });
    const timeToEnforceMs = Date.now() - decidedAt;

    const servedBefore = served;
    assert.equal(await envoy.get('/orders', attacker), 403);
    assert.equal(served, servedBefore, 'a refused request never reaches the app');
    assert.equal(await envoy.get('/orders', benign), 200);
    assert.equal(served, servedBefore + 1);

    await awaitUntil('the decision to expire', async () => ((await envoy.get('/orders', attacker)) === 200 ? true : undefined), { everyMs: 50, timeoutMs: DENY_FOR_MS + 10_000 });
    assert.ok(Date.now() >= deny.expiresAt, 'the attacker is let in again only after the decision expires');
    console.log(`time to enforce (decision stored → first 403 at Envoy): ${timeToEnforceMs} ms`);
  });

  it('does the same as an HTTP service, with the principal in the X-Forwarded-Client-Cert Envoy sets', async () => {
    await awaitUntil('Envoy to let the workloads through', async () => ((await envoyHttp.get('/orders', benign)) === 200 ? true : undefined), { everyMs: 100 });
    assert.equal(await envoyHttp.get('/orders', courier), 200);

    const deny = decisionOf('mesh.deny', `svc:${COURIER}`, { decidedAt: Date.now(), ttlMs: DENY_FOR_MS, chain: 'lateral-movement' });
    await decisions.put([deny]);
    await awaitUntil('Envoy to refuse the courier', async () => ((await envoyHttp.get('/orders', courier)) === 403 ? true : undefined), { everyMs: 5, timeoutMs: DENY_FOR_MS });
    assert.equal(await envoyHttp.get('/orders', benign), 200);

    await awaitUntil('the decision to expire', async () => ((await envoyHttp.get('/orders', courier)) === 200 ? true : undefined), { everyMs: 50, timeoutMs: DENY_FOR_MS + 10_000 });
    assert.ok(Date.now() >= deny.expiresAt);
  });
});
