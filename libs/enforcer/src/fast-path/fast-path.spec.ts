import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DECISION_STORE, type DecisionStore } from '@ratchet/chains';
import type { EnforcementAction } from '@ratchet/contracts';
import { ManualClock } from '@ratchet/kernel';
import { createHttpApp, PlatformModule } from '@ratchet/platform';
import { decisionOf } from '@ratchet/testing';
import { EnforcerModule } from '../enforcer.module';
import { createAuthorizationClient, type AuthorizationClient } from '../ext-authz/ext-authz-client';
import { ExtAuthzGrpcServer } from '../ext-authz/ext-authz-grpc.server';
import type { ProtoCheckRequest, ProtoCheckResponse } from '../ext-authz/ext-authz-messages';

const T0 = Date.parse('2026-11-24T10:00:00.000Z');
const MIN = 60_000;
const ATTACKER = '203.0.113.77';
const BENIGN = '198.51.100.7';
const RIDER = 'spiffe://cluster.local/ns/shop/sa/rider';
const CART = 'spiffe://cluster.local/ns/shop/sa/cart';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
}

/** The enforcer in one process over memory adapters, a manual clock, and ext_authz gRPC on a free loopback port. */
describe('the fast path over /authz, ext_authz HTTP and ext_authz gRPC', { timeout: 30_000 }, () => {
  const clock = new ManualClock(T0);
  let app: NestFastifyApplication;
  let store: DecisionStore;
  let grpc: AuthorizationClient;

  before(async () => {
    @Module({ imports: [PlatformModule.memory({ clock }), EnforcerModule.forRoot({ subjectHeader: 'X-JWT-Sub', failModeRoutes: ['/admin=closed'], extAuthzGrpc: { host: '127.0.0.1', port: 0 } })] })
    class FastPathSpecModule {}
    app = await createHttpApp(FastPathSpecModule, { bodyLimit: 1_024, logFormat: 'text', logLevels: ['fatal', 'error'] });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    store = app.get<DecisionStore>(DECISION_STORE);
    grpc = createAuthorizationClient(`127.0.0.1:${app.get(ExtAuthzGrpcServer).port()}`);
  });

  after(async () => {
    grpc?.close();
    await app?.close();
  });

  const put = async (...decisions: EnforcementAction[]) => store.put(decisions);
  const authz = async (headers: Record<string, string>): Promise<Answer> => {
    const response = await app.getHttpAdapter().getInstance().inject({ method: 'GET', url: '/authz', headers });
    return { status: response.statusCode, headers: response.headers };
  };
  const check = (request: ProtoCheckRequest): Promise<ProtoCheckResponse> => grpc.check(request);
  const deniedHeader = (response: ProtoCheckResponse, key: string) => response.denied_response?.headers.find((h) => h.header.key === key)?.header.value;
  const envoyRequest = (address: string, path: string, extra: NonNullable<ProtoCheckRequest['attributes']> = {}): ProtoCheckRequest => ({
    attributes: { source: { address: { socket_address: { address } } }, request: { http: { method: 'GET', path, host: 'shop.example.com', headers: {} } }, ...extra },
  });

  describe('GET /authz', () => {
    it('allows a client no decision is about, saying so', async () => {
      const answer = await authz({ 'x-real-ip': BENIGN, 'x-original-uri': '/', 'x-original-method': 'GET' });
      assert.equal(answer.status, 200);
      assert.equal(answer.headers['x-ratchet-decision'], 'allow');
    });

    it('denies a denied address with 403 and explains which decision, until when', async () => {
      const deny = decisionOf('ingress.deny', `ip:${ATTACKER}`, { decidedAt: T0, ttlMs: 15 * MIN });
      await put(deny);
      const answer = await authz({ 'x-real-ip': ATTACKER, 'x-original-uri': '/login' });
      assert.equal(answer.status, 403);
      assert.equal(answer.headers['x-ratchet-decision'], 'deny');
      assert.equal(answer.headers['x-ratchet-action'], 'ingress.deny');
      assert.equal(answer.headers['x-ratchet-entity'], `ip:${ATTACKER}`);
      assert.equal(answer.headers['x-ratchet-until'], new Date(deny.expiresAt).toISOString());
      assert.equal(answer.headers['x-ratchet-reason'], 'credential-attack/0: brute_force');
    });

    it('rate-limits with 429 and Retry-After once the bucket is empty', async () => {
      await put(decisionOf('ingress.rate-limit', 'ip:203.0.113.80', { decidedAt: T0, ttlMs: 15 * MIN, params: { rps: 0.1, burst: 2 } }));
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push(await authz({ 'x-real-ip': '203.0.113.80', 'x-original-uri': '/api/search' }));
      assert.deepEqual(statuses.map((s) => s.status), [200, 200, 429]);
      assert.equal(statuses[2]?.headers['retry-after'], '10');
      assert.equal(statuses[2]?.headers['x-ratchet-decision'], 'rate-limit');
    });

    it('asks a user with a step-up decision to authenticate again (401, RFC 9470 challenge)', async () => {
      await put(decisionOf('ingress.step-up', 'user:alice@example.com', { decidedAt: T0, ttlMs: 15 * MIN, params: { acr: 'phr' } }));
      const answer = await authz({ 'x-real-ip': BENIGN, 'x-jwt-sub': 'alice@example.com', 'x-original-uri': '/account' });
      assert.equal(answer.status, 401);
      assert.equal(answer.headers['www-authenticate'], 'Bearer error="insufficient_user_authentication", error_description="A stronger or more recent authentication is required", acr_values="phr"');
      assert.equal(answer.headers['x-ratchet-step-up'], 'phr');
    });

    it('denies a mesh principal named in the x-forwarded-client-cert of a trusted proxy', async () => {
      await put(decisionOf('mesh.deny', `svc:${RIDER}`, { decidedAt: T0, ttlMs: 15 * MIN }));
      const xfcc = `By=spiffe://cluster.local/ns/shop/sa/gateway;Hash=7a1c0f;URI=${RIDER}`;
      assert.equal((await authz({ 'x-real-ip': BENIGN, 'x-forwarded-client-cert': xfcc })).status, 403);
      assert.equal((await authz({ 'x-real-ip': BENIGN, 'x-forwarded-client-cert': `By=spiffe://cluster.local/ns/shop/sa/gateway;URI=${CART}` })).status, 200);
    });

    it('allows again once the decision has expired', async () => {
      const deny = decisionOf('ingress.deny', 'ip:203.0.113.90', { decidedAt: T0, ttlMs: 5 * MIN });
      await put(deny);
      assert.equal((await authz({ 'x-real-ip': '203.0.113.90' })).status, 403);
      clock.set(deny.expiresAt);
      try {
        assert.equal((await authz({ 'x-real-ip': '203.0.113.90' })).status, 200);
      } finally {
        clock.set(T0);
      }
    });
  });

  describe('ext_authz HTTP service (/ext_authz/*)', () => {
    it('judges the original path Envoy appends, so a decision scoped to /admin refuses only there', async () => {
      await put(decisionOf('ingress.deny', 'ip:203.0.113.81', { decidedAt: T0, ttlMs: 15 * MIN, params: { path: '/admin' } }));
      const inject = async (url: string) => (await app.getHttpAdapter().getInstance().inject({ method: 'POST', url, headers: { 'x-forwarded-for': '203.0.113.81' } })).statusCode;
      assert.equal(await inject('/ext_authz/admin/users?page=1'), 403);
      assert.equal(await inject('/ext_authz/shop/cart'), 200);
    });
  });

  describe('ext_authz gRPC (envoy.service.auth.v3.Authorization/Check)', () => {
    it('answers OK for a request no decision is about', async () => {
      const response = await check(envoyRequest(BENIGN, '/'));
      assert.equal(response.status.code, 0);
      assert.ok(response.ok_response);
    });

    it('denies the mTLS principal Envoy reports with PERMISSION_DENIED and an HTTP 403 carrying the explanation', async () => {
      await put(decisionOf('mesh.deny', `svc:${RIDER}`, { decidedAt: T0, ttlMs: 15 * MIN }));
      const response = await check(envoyRequest(BENIGN, '/orders', { source: { address: { socket_address: { address: '10.8.0.12' } }, principal: RIDER } }));
      assert.equal(response.status.code, 7);
      assert.equal(response.denied_response?.status.code, 403);
      assert.equal(deniedHeader(response, 'x-ratchet-entity'), `svc:${RIDER}`);
      const other = await check(envoyRequest(BENIGN, '/orders', { source: { address: { socket_address: { address: '10.8.0.12' } }, principal: CART } }));
      assert.equal(other.status.code, 0);
    });

    it('reads the JWT subject from the jwt_authn filter metadata', async () => {
      await put(decisionOf('ingress.step-up', 'user:bob@example.com', { decidedAt: T0, ttlMs: 15 * MIN }));
      const payload = { fields: { sub: { stringValue: 'bob@example.com' }, iss: { stringValue: 'https://idp.example.com' } } };
      const response = await check(envoyRequest(BENIGN, '/account', { metadata_context: { filter_metadata: { 'envoy.filters.http.jwt_authn': { fields: { jwt_payload: { structValue: payload } } } } } }));
      assert.equal(response.status.code, 16);
      assert.equal(response.denied_response?.status.code, 401);
      assert.equal(deniedHeader(response, 'x-ratchet-step-up'), 'required');
    });

    it('rate-limits with RESOURCE_EXHAUSTED, HTTP 429 and Retry-After', async () => {
      await put(decisionOf('ingress.rate-limit', 'ip:203.0.113.82', { decidedAt: T0, ttlMs: 15 * MIN, params: { rps: 0.5, burst: 1 } }));
      assert.equal((await check(envoyRequest('203.0.113.82', '/api'))).status.code, 0);
      const limited = await check(envoyRequest('203.0.113.82', '/api'));
      assert.equal(limited.status.code, 8);
      assert.equal(limited.denied_response?.status.code, 429);
      assert.equal(deniedHeader(limited, 'retry-after'), '2');
    });

    it('answers a request without attributes instead of failing the call', async () => {
      const response = await check({});
      assert.equal(response.status.code, 0);
    });
  });
});

/** RATCHET_FAST_PATH_TOKEN set: only callers that send it get a verdict, on every door. */
describe('the fast path with a caller token', { timeout: 30_000 }, () => {
  const TOKEN = 'proxy-secret-0123456789';
  const clock = new ManualClock(T0);
  let app: NestFastifyApplication;
  let store: DecisionStore;
  let address: string;
  const clients: AuthorizationClient[] = [];

  before(async () => {
    @Module({ imports: [PlatformModule.memory({ clock }), EnforcerModule.forRoot({ callerToken: TOKEN, extAuthzGrpc: { host: '127.0.0.1', port: 0 } })] })
    class CallerTokenSpecModule {}
    app = await createHttpApp(CallerTokenSpecModule, { bodyLimit: 1_024, logFormat: 'text', logLevels: ['fatal', 'error'] });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    store = app.get<DecisionStore>(DECISION_STORE);
    address = `127.0.0.1:${app.get(ExtAuthzGrpcServer).port()}`;
    await store.put([decisionOf('ingress.deny', `ip:${ATTACKER}`, { decidedAt: T0, ttlMs: 15 * MIN })]);
  });

  after(async () => {
    for (const client of clients) client.close();
    await app?.close();
  });

  const inject = async (url: string, headers: Record<string, string>) => {
    const response = await app.getHttpAdapter().getInstance().inject({ method: 'GET', url, headers: { 'x-real-ip': ATTACKER, 'x-forwarded-for': ATTACKER, ...headers } });
    return { status: response.statusCode, decision: response.headers['x-ratchet-decision'], entity: response.headers['x-ratchet-entity'] };
  };
  const grpc = (metadata: Record<string, string>): AuthorizationClient => {
    const client = createAuthorizationClient(address, clients.length, metadata);
    clients.push(client);
    return client;
  };
  const attackerCall: ProtoCheckRequest = { attributes: { source: { address: { socket_address: { address: ATTACKER } } }, request: { http: { method: 'GET', path: '/', headers: {} } } } };

  it('answers /authz and /ext_authz with the verdict for a caller sending the token', async () => {
    assert.deepEqual(await inject('/authz', { 'x-ratchet-token': TOKEN }), { status: 403, decision: 'deny', entity: `ip:${ATTACKER}` });
    assert.equal((await inject('/ext_authz/shop', { 'x-ratchet-token': TOKEN })).decision, 'deny');
  });

  it('refuses a caller without the token or with another one, revealing no decision', async () => {
    const attempts: Array<Record<string, string>> = [{}, { 'x-ratchet-token': 'proxy-secret-0123456780' }, { 'x-ratchet-token': '' }];
    for (const headers of attempts) {
      assert.deepEqual(await inject('/authz', headers), { status: 403, decision: 'unauthenticated-caller', entity: undefined });
      assert.deepEqual(await inject('/ext_authz/shop', headers), { status: 403, decision: 'unauthenticated-caller', entity: undefined });
    }
  });

  it('answers the gRPC Check for a caller sending the token as metadata, and UNAUTHENTICATED otherwise', async () => {
    const answer = await grpc({ 'x-ratchet-token': TOKEN }).check(attackerCall);
    assert.equal(answer.status.code, 7);
    await assert.rejects(grpc({}).check(attackerCall), (err: unknown) => (err as { code?: number }).code === 16);
    await assert.rejects(grpc({ 'x-ratchet-token': `${TOKEN}x` }).check(attackerCall), (err: unknown) => (err as { code?: number }).code === 16);
  });

  it('counts the refused callers by door', async () => {
    const metrics = (await app.getHttpAdapter().getInstance().inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, /ratchet_enforcer_unauthenticated_callers_total\{api="authz"\} [1-9]/);
    assert.match(metrics, /ratchet_enforcer_unauthenticated_callers_total\{api="ext_authz_grpc"\} [1-9]/);
  });
});
