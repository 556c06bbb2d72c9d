import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AUTH_ACTIONS, FACTS, PLANES, type AuthEvent, type AuthAction, type Plane } from '@ratchet/contracts';
import { authEvent } from '@ratchet/testing';
import { compileDetectors } from './catalogue';
import { holds, routesOf } from './event-routes';

/**
 * Events of every plane and action carrying everything some detector looks at — every fact, a
 * refused request for a sensitive path, a SPIFFE caller, a token, a second factor — so that a
 * detector that would answer for an event outside its declared scope shows it here.
 */
function eventsOf(plane: Plane, action: AuthAction): AuthEvent[] {
  const rich = {
    plane,
    action,
    facts: [...FACTS],
    reason: 'forbidden: mtls handshake http 401',
    source: { kind: 'sshd' },
    client: { ip: '203.0.113.7', scope: 'public' as const, tokenId: 'tok-1', sessionId: 'sess-1', userAgent: 'curl/8.0', geo: { country: 'DE', lat: 52.5, lon: 13.4 }, asn: { number: 64_500 } },
    target: { host: 'shop.example.com', path: '/.env', service: 'secrets', status: 401, method: 'get', namespace: 'shop', name: 'db' },
    auth: { mfa: true, method: 'basic' as const },
  };
  return (['failure', 'success', 'challenge'] as const).flatMap((outcome) => [
    authEvent({ ...rich, outcome, principal: { type: 'user', id: 'alice@example.com' } }),
    authEvent({ ...rich, outcome, principal: { type: 'service', id: 'spiffe://evil.example/ns/shop/sa/x' } }),
    authEvent({ ...rich, outcome, principal: { type: 'anonymous' } }),
  ]);
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
    assert.ok(checked > 1_000, `only ${checked} detector × event pairs checked`);
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
