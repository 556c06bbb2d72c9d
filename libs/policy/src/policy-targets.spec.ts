import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ACTION_KINDS } from '@ratchet/contracts';
import { DECISIONS } from './fixtures/decisions';
import { formatManifests, manifestFiles } from './manifests';
import { objectName } from './policy-object';
import { DEFAULT_POLICY_SETTINGS, POLICY_TARGET_NAMES } from './policy-target';
import { compilePolicyTargets, POLICY_TARGETS, renderPolicy } from './policy-targets';

describe('the policy target registry', () => {
  it('has one target per name, each describing its actions, API and RBAC', () => {
    assert.deepEqual(POLICY_TARGETS.map((t) => t.name), [...POLICY_TARGET_NAMES]);
    for (const t of POLICY_TARGETS) {
      for (const kind of t.actions) assert.ok((ACTION_KINDS as readonly string[]).includes(kind), `${t.name}: ${kind}`);
      assert.ok(t.api.length > 0 && t.summary.length > 0, t.name);
      if (t.actions.length > 0) assert.ok(t.requiredRbac.length > 0, `${t.name} renders but lists no RBAC`);
    }
  });

  it('compiles a comma-separated target list in order', () => {
    assert.deepEqual(compilePolicyTargets(' network-policy, istio-authorization-policy ').map((t) => t.name), ['network-policy', 'istio-authorization-policy']);
  });

  for (const [raw, reason] of [
    ['nginx-ingres-policy', /RATCHET_POLICY_TARGETS: "nginx-ingres-policy" is not a policy target/],
    ['network-policy,network-policy', /"network-policy" is listed twice/],
    ['gateway-api', /"gateway-api" renders no action/],
  ] as const) {
    it(`refuses "${raw}" at load with a message naming it`, () => {
      assert.throws(() => compilePolicyTargets(raw), (err: Error & { code?: string }) => reason.test(err.message) && err.code === 'POLICY.INVALID_TARGETS');
    });
  }
});

describe('renderPolicy', () => {
  const targets = compilePolicyTargets('nginx-ingress-policy,istio-authorization-policy,network-policy');

  it('renders each action on every configured target that can express it', () => {
    const rendered = renderPolicy([DECISIONS['deny-address'], DECISIONS['quarantine-pod']], targets, DEFAULT_POLICY_SETTINGS);
    assert.deepEqual(
      rendered.changes.map((c) => [c.target, c.actionId, c.change.kind]),
      [
        ['nginx-ingress-policy', 'ingress.deny|ip:203.0.113.7', 'owned'],
        ['istio-authorization-policy', 'ingress.deny|ip:203.0.113.7', 'owned'],
        ['network-policy', 'network.quarantine|svc:spiffe://cluster.local/ns/shop/sa/cart', 'owned'],
      ],
    );
    assert.deepEqual(rendered.refused, []);
  });

  it('refuses shadow decisions, actions no configured target renders, and actions that are no Kubernetes policy', () => {
    const shadow = { ...DECISIONS['deny-address'], mode: 'shadow' as const };
    const revoke = { ...DECISIONS['deny-user'], id: 'session.revoke|user:mallory', action: 'session.revoke' as const };
    const rendered = renderPolicy([shadow, DECISIONS['require-mtls-namespace'], revoke], targets, DEFAULT_POLICY_SETTINGS);
    assert.equal(rendered.changes.length, 0);
    assert.deepEqual(rendered.refused.map((r) => r.reason), [
      'shadow mode: recorded, not enforced',
      'no configured target renders mesh.require-mtls (istio-peer-authentication, linkerd-authorization-policy would)',
      'session.revoke is not a Kubernetes policy (the enforcer carries it out itself)',
    ]);
  });

  it('writes one file per change, and one stream whose documents kubectl can apply', () => {
    const settings = { ...DEFAULT_POLICY_SETTINGS, nginxVirtualServers: [{ apiVersion: 'k8s.nginx.org/v1', kind: 'VirtualServer', namespace: 'shop', name: 'storefront' }] };
    const rendered = renderPolicy([DECISIONS['deny-address'], DECISIONS['deny-user']], targets, settings);
    const files = manifestFiles(rendered);
    const address = objectName(DECISIONS['deny-address']);
    const user = objectName(DECISIONS['deny-user']);
    assert.deepEqual(files.map((f) => f.path), [
      `nginx-ingress-policy/policy-ratchet-${address}.yaml`,
      `nginx-ingress-policy/attach-virtualserver-shop-storefront-${address}.yaml`,
      `istio-authorization-policy/authorizationpolicy-istio-system-${address}.yaml`,
      `istio-authorization-policy/authorizationpolicy-istio-system-${user}.yaml`,
    ]);
    assert.match(files[0]?.content ?? '', /^# nginx-ingress-policy for ingress\.deny\|ip:203\.0\.113\.7\n# kubectl apply --server-side --field-manager=ratchet -f /);
    const stream = formatManifests(rendered);
    assert.match(stream, /kubectl patch virtualserver storefront -n shop --type=json -p '\[\{"op":"add","path":"\/spec\/policies\/-"/);
    assert.match(stream, /# not rendered: ingress\.deny\|user:mallory on nginx-ingress-policy: accessControl denies addresses only/);
    assert.equal(stream.split('---\n').length, 5);
  });
});
