import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decisionOf } from '@ratchet/testing';
import { checkEntities, judgeRequest, settleVerdict, type CheckRequest } from './verdict';

const T0 = Date.parse('2026-11-24T10:00:00.000Z');
const MIN = 60_000;
const ATTACKER = '203.0.113.77';
const CART = 'spiffe://cluster.local/ns/shop/sa/cart';

const request = (overrides: Partial<CheckRequest> = {}): CheckRequest => ({ clientIp: '198.51.100.7', path: '/api/orders?page=2', method: 'GET', host: 'shop.example.com', ...overrides });
const at = (ttlMs = 15 * MIN, params?: Record<string, string | number>) => ({ decidedAt: T0, ttlMs, ...(params ? { params } : {}) });

describe('judgeRequest', () => {
  it('allows a request no decision is about', () => {
    const decisions = [decisionOf('ingress.deny', `ip:${ATTACKER}`, at())];
    assert.deepEqual(judgeRequest(request(), decisions, T0 + 1), { verdict: { outcome: 'allow' }, limits: [] });
  });

  it('names the address, the mTLS principal and the JWT subject as the entities of a request', () => {
    assert.deepEqual(checkEntities(request({ principal: CART, subject: 'alice@example.com' })), ['ip:198.51.100.7', `svc:${CART}`, 'user:alice@example.com']);
    assert.deepEqual(checkEntities(request()), ['ip:198.51.100.7']);
  });

  it('denies a denied address until its decision expires', () => {
    const deny = decisionOf('ingress.deny', `ip:${ATTACKER}`, at());
    assert.deepEqual(judgeRequest(request({ clientIp: ATTACKER }), [deny], deny.expiresAt - 1).verdict, { outcome: 'deny', decision: deny });
    assert.deepEqual(judgeRequest(request({ clientIp: ATTACKER }), [deny], deny.expiresAt).verdict, { outcome: 'allow' });
  });

  it('denies a mesh principal a mesh.deny names, on any address', () => {
    const deny = decisionOf('mesh.deny', `svc:${CART}`, at());
    assert.equal(judgeRequest(request({ principal: CART }), [deny], T0).verdict.outcome, 'deny');
  });

  it('ignores shadow decisions and actions the fast path does not answer', () => {
    const decisions = [
      decisionOf('ingress.deny', `ip:${ATTACKER}`, { ...at(), mode: 'shadow' }),
      decisionOf('session.revoke', `ip:${ATTACKER}`, at()),
      decisionOf('notify', `ip:${ATTACKER}`, at(15 * MIN, { webhook: 'https://hooks.example.com/soc' })),
    ];
    assert.deepEqual(judgeRequest(request({ clientIp: ATTACKER }), decisions, T0).verdict, { outcome: 'allow' });
  });

  it('refuses a quarantined workload at the proxy, as its NetworkPolicy cuts it off', () => {
    const quarantine = decisionOf('network.quarantine', `svc:${CART}`, at());
    assert.equal(judgeRequest(request({ principal: CART }), [quarantine], T0).verdict.outcome, 'deny');
  });

  it('asks a user with a step-up decision to authenticate again, with the acr the decision names', () => {
    const stepUp = decisionOf('ingress.step-up', 'user:alice@example.com', at(15 * MIN, { acr: 'phr' }));
    assert.deepEqual(judgeRequest(request({ subject: 'alice@example.com' }), [stepUp], T0).verdict, { outcome: 'step-up', decision: stepUp, acr: 'phr' });
  });

  it('lets a deny win over a rate limit and a step-up, and spends no token on it', () => {
    const decisions = [
      decisionOf('ingress.step-up', 'user:mallory@example.com', at()),
      decisionOf('ingress.rate-limit', `ip:${ATTACKER}`, at(15 * MIN, { rps: 5, burst: 10 })),
      decisionOf('ingress.deny', `ip:${ATTACKER}`, at(5 * MIN)),
    ];
    const judgement = judgeRequest(request({ clientIp: ATTACKER, subject: 'mallory@example.com' }), decisions, T0);
    assert.equal(judgement.verdict.outcome, 'deny');
    assert.deepEqual(judgement.limits, []);
  });

  it('takes a rate limit before a step-up: a refused token answers 429, a granted one the step-up', () => {
    const stepUp = decisionOf('ingress.step-up', 'user:mallory@example.com', at());
    const limit = decisionOf('ingress.rate-limit', `ip:${ATTACKER}`, at(15 * MIN, { rps: 5, burst: 10 }));
    const judgement = judgeRequest(request({ clientIp: ATTACKER, subject: 'mallory@example.com' }), [stepUp, limit], T0);
    assert.deepEqual(
      judgement.limits.map((l) => [l.key, l.ratePerSecond, l.burst, l.expiresAt]),
      [[limit.id, 5, 10, limit.expiresAt]],
    );
    assert.deepEqual(settleVerdict(judgement, [{ allowed: false, retryAfterMs: 200 }]), { outcome: 'rate-limit', decision: limit, retryAfterMs: 200 });
    assert.equal(settleVerdict(judgement, [{ allowed: true, retryAfterMs: 0 }]).outcome, 'step-up');
  });

  it('reports the longest wait when several buckets refuse', () => {
    const byIp = decisionOf('ingress.rate-limit', `ip:${ATTACKER}`, at(15 * MIN, { rps: 10 }));
    const byUser = decisionOf('ingress.rate-limit', 'user:mallory@example.com', at(15 * MIN, { rps: 0.5 }));
    const judgement = judgeRequest(request({ clientIp: ATTACKER, subject: 'mallory@example.com' }), [byIp, byUser], T0);
    const verdict = settleVerdict(judgement, [
      { allowed: false, retryAfterMs: 100 },
      { allowed: false, retryAfterMs: 2_000 },
    ]);
    assert.deepEqual(verdict, { outcome: 'rate-limit', decision: byUser, retryAfterMs: 2_000 });
  });

  it('sizes a bucket without a burst to one second of its rate, at least one token', () => {
    const decisions = [decisionOf('ingress.rate-limit', `ip:${ATTACKER}`, at(15 * MIN, { rps: 2.5 })), decisionOf('ingress.rate-limit', 'user:mallory@example.com', at(15 * MIN, { rps: 0.2 }))];
    const { limits } = judgeRequest(request({ clientIp: ATTACKER, subject: 'mallory@example.com' }), decisions, T0);
    assert.deepEqual(limits.map((l) => l.burst), [3, 1]);
  });

  it('ignores a rate limit without a positive rps rather than refusing everything', () => {
    const decisions = [decisionOf('ingress.rate-limit', `ip:${ATTACKER}`, at(15 * MIN, { rps: 0 })), decisionOf('ingress.rate-limit', `ip:${ATTACKER}`, at(15 * MIN, { rps: 'fast' }))];
    assert.deepEqual(judgeRequest(request({ clientIp: ATTACKER }), decisions, T0), { verdict: { outcome: 'allow' }, limits: [] });
  });

  it('scopes a decision with a path prefix to that prefix, on segment boundaries', () => {
    const deny = decisionOf('ingress.deny', `ip:${ATTACKER}`, at(15 * MIN, { path: '/admin' }));
    const outcome = (path: string) => judgeRequest(request({ clientIp: ATTACKER, path }), [deny], T0).verdict.outcome;
    assert.equal(outcome('/admin'), 'deny');
    assert.equal(outcome('/admin/users?id=7'), 'deny');
    assert.equal(outcome('/administrator'), 'allow');
    assert.equal(outcome('/shop'), 'allow');
  });
});
