import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AUTH_ACTIONS, FACTS, PLANES, type AuthEvent, type AuthAction, type Plane } from '@ratchet/contracts';
import { authEvent } from '@ratchet/testing';
import { compileDetectors } from './catalogue';
import type { CompiledDetector } from './detector';
import { holds, routesOf } from './event-routes';

/**
 * Events of every plane and action carrying what each detector looks at — every fact, refused and
 * rate-limited requests for sensitive paths, an sshd connection that never authenticated, a
 * Kubernetes exec and binding write, a SPIFFE caller, a service-account token used from outside, a
 * token, a second factor — in every outcome. Every scoped detector answers some of them in its
 * scope (the spec checks it), so a scope that left out events its detector answers for shows here.
 */
function eventsOf(plane: Plane, action: AuthAction): AuthEvent[] {
  const base = {
    plane,
    action,
    facts: [...FACTS],
    reason: 'forbidden: mtls handshake http 401',
    client: { ip: '203.0.113.7', scope: 'public' as const, tokenId: 'tok-1', sessionId: 'sess-1', userAgent: 'curl/8.0', geo: { country: 'DE', lat: 52.5, lon: 13.4 }, asn: { number: 64_500 } },
    target: { host: 'shop.example.com', path: '/.env', service: 'secrets', status: 401, method: 'GET', namespace: 'kube-system', name: 'db' },
    auth: { mfa: true, method: 'basic' as const },
  };
  const variants = [
    base,
    { ...base, target: { ...base.target, status: 404, path: '/admin/config.php' } },
    { ...base, target: { ...base.target, status: 429 }, reason: 'http 429' },
    { ...base, source: { kind: 'sshd' }, reason: 'no ssh identification string' },
    { ...base, facts: [], target: { ...base.target, method: 'get' } },
    { ...base, facts: [], target: { ...base.target, service: 'pods/exec', method: 'create' } },
    { ...base, facts: [], target: { ...base.target, service: 'rolebindings', method: 'create' } },
  ];
  const principals = [
    { type: 'user' as const, id: 'alice@example.com' },
    { type: 'service' as const, id: 'spiffe://evil.example/ns/shop/sa/x' },
    { type: 'service' as const, id: 'system:serviceaccount:shop:default' },
    { type: 'anonymous' as const },
  ];
  return (['failure', 'success', 'challenge'] as const).flatMap((outcome) => variants.flatMap((variant) => principals.map((principal) => authEvent({ ...variant, outcome, principal }))));
}

/** Whether the detector has anything to say about the event: operations to plan, or signals without state. */
function answers(detector: CompiledDetector, event: AuthEvent): boolean {
  return detector.plan(event).length > 0 || detector.detect(event, []).length > 0;
}

describe('event routes', () => {
  const detectors = compileDetectors();

  it('asks no detector about an event outside its scope that it would answer for', () => {
    let checked = 0;
    for (const plane of PLANES) {
      for (const action of AUTH_ACTIONS) {
        for (const detector of detectors) {
          if (holds(detector.reads, plane, action)) continue;
          for (const event of eventsOf(plane, action)) {
            assert.deepEqual(detector.plan(event), [], `${detector.id} plans for a ${plane} ${action} ${event.outcome}`);
            assert.deepEqual(detector.detect(event, []), [], `${detector.id} answers a ${plane} ${action} ${event.outcome}`);
            checked++;
          }
        }
      }
    }
    // Most of the catalogue is scoped: the check ran over many pairs, not none.
    assert.ok(checked > 10_000, `only ${checked} detector × event pairs checked`);
  });

  it('has, for every scoped detector, events in its scope it answers: the check above is not vacuous', () => {
    for (const detector of detectors.filter((d) => d.reads !== undefined)) {
      const inScope = PLANES.flatMap((plane) => AUTH_ACTIONS.filter((action) => holds(detector.reads, plane, action)).flatMap((action) => eventsOf(plane, action)));
      assert.ok(
        inScope.some((event) => answers(detector, event)),
        `${detector.id} answers none of the events in its scope`,
      );
    }
  });

  it('routes a successful login to the identity detectors and not to the request, mesh or control-plane ones', () => {
    const routed = routesOf(detectors)
      .of(authEvent({ outcome: 'success' }))
      .map((i) => detectors[i]?.id);
    for (const id of ['auth.brute-force', 'auth.impossible-travel', 'auth.new-country', 'auth.login-risk', 'auth.token-reuse', 'intel.blocklisted-address']) assert.ok(routed.includes(id), id);
    for (const id of ['http.crawl', 'mesh.new-peer', 'k8s.exec', 'k8s.secret-read', 'ssh.probing']) assert.ok(!routed.includes(id), id);
  });

  it('routes a Kubernetes API call to the control-plane detectors and not to the login ones', () => {
    const routed = routesOf(detectors)
      .of(authEvent({ plane: 'control', action: 'api', outcome: 'success' }))
      .map((i) => detectors[i]?.id);
    for (const id of ['k8s.exec', 'k8s.secret-read', 'k8s.anonymous-access', 'intel.blocklisted-address']) assert.ok(routed.includes(id), id);
    for (const id of ['auth.brute-force', 'auth.login-risk', 'http.probing', 'mesh.new-peer']) assert.ok(!routed.includes(id), id);
  });

  it('keeps catalogue order, so signals come out in the same order as without routes', () => {
    for (const plane of PLANES) {
      for (const action of AUTH_ACTIONS) {
        const routed = routesOf(detectors).of(authEvent({ plane, action }));
        assert.deepEqual(routed, [...routed].sort((a, b) => a - b));
      }
    }
  });

  it('asks every detector about an event of a plane or action it does not know', () => {
    const odd = { ...authEvent(), plane: 'sideways' } as unknown as AuthEvent;
    assert.equal(routesOf(detectors).of(odd).length, detectors.length);
  });
});
