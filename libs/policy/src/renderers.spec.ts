import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import { DECISIONS, type DecisionCase } from './fixtures/decisions';
import { validateManifest } from './manifest-schemas';
import { DEFAULT_POLICY_SETTINGS, type PolicySettings, type PolicyTargetName } from './policy-target';
import { POLICY_TARGETS } from './policy-targets';

/** Settings of a cluster with one NGINX VirtualServer to attach to. */
const SETTINGS: PolicySettings = {
  ...DEFAULT_POLICY_SETTINGS,
  nginxVirtualServers: [{ apiVersion: 'k8s.nginx.org/v1', kind: 'VirtualServer', namespace: 'shop', name: 'storefront' }],
};

const GOLDEN = join(__dirname, 'fixtures', 'golden');

/** Golden manifests: `RATCHET_UPDATE_GOLDEN=1` rewrites them; review the diff before committing. */
function assertGolden(target: string, name: string, value: unknown): void {
  const file = join(GOLDEN, target, `${name}.yaml`);
  const text = stringify(value, { aliasDuplicateObjects: false });
  if (process.env['RATCHET_UPDATE_GOLDEN'] === '1' || !existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  assert.equal(text, readFileSync(file, 'utf8'), `${file} differs from what the renderer produces`);
}

const target = (name: PolicyTargetName) => {
  const t = POLICY_TARGETS.find((x) => x.name === name);
  assert.ok(t, name);
  return t;
};

const RENDERED: ReadonlyArray<[PolicyTargetName, DecisionCase]> = [
  ['nginx-ingress-policy', 'deny-address'],
  ['nginx-ingress-policy', 'deny-ipv6-address'],
  ['nginx-ingress-policy', 'rate-limit-address'],
  ['nginx-ingress-policy', 'rate-limit-user'],
  ['istio-authorization-policy', 'deny-address'],
  ['istio-authorization-policy', 'deny-user'],
  ['istio-authorization-policy', 'mesh-deny-workload'],
  ['istio-authorization-policy', 'mesh-deny-address'],
  ['istio-peer-authentication', 'require-mtls-namespace'],
  ['istio-peer-authentication', 'require-mtls-workload'],
  ['linkerd-authorization-policy', 'require-mtls-namespace'],
  ['network-policy', 'quarantine-pod'],
  ['cert-manager', 'rotate-certificate'],
];

describe('policy renderers', () => {
  for (const [name, decision] of RENDERED) {
    it(`renders ${decision} on ${name} as the golden manifest, valid against the upstream schema`, () => {
      const outcome = target(name).render(DECISIONS[decision], SETTINGS);
      assert.ok('changes' in outcome, 'refused' in outcome ? outcome.refused : '');
      assertGolden(name, decision, outcome.changes);
      for (const change of outcome.changes) {
        if (change.kind === 'attach') continue;
        assert.deepEqual(validateManifest(change.object), [], `${change.object.kind} ${change.object.metadata.name}`);
      }
    });
  }

  const REFUSED: ReadonlyArray<[PolicyTargetName, DecisionCase, RegExp]> = [
    ['nginx-ingress-policy', 'deny-user', /denies addresses only; user:mallory/],
    ['nginx-ingress-policy', 'rate-limit-dotted-user', /forbids "\."/],
    ['nginx-ingress-policy', 'rate-limit-without-rps', /params\.rps must be a whole number/],
    ['linkerd-authorization-policy', 'mesh-deny-workload', /allow-only/],
    ['linkerd-authorization-policy', 'require-mtls-workload', /not pod labels/],
    ['network-policy', 'quarantine-without-selector', /needs params\.selector/],
    ['network-policy', 'quarantine-bad-selector', /params\.selector: "=x" is not a label/],
    ['cert-manager', 'rotate-without-certificate', /params\.certificate as "<namespace>\/<name>"/],
    ['gateway-api', 'deny-address', /no standard field for ingress\.deny/],
  ];
  for (const [name, decision, reason] of REFUSED) {
    it(`refuses ${decision} on ${name} with a reason naming the problem`, () => {
      const outcome = target(name).render(DECISIONS[decision], SETTINGS);
      assert.ok('refused' in outcome, 'expected a refusal');
      assert.match(outcome.refused, reason);
    });
  }

  it('names and labels every owned object after the action, so re-rendering is idempotent', () => {
    const a = target('istio-authorization-policy').render(DECISIONS['deny-address'], SETTINGS);
    const b = target('istio-authorization-policy').render(DECISIONS['deny-address'], SETTINGS);
    const c = target('istio-authorization-policy').render(DECISIONS['deny-user'], SETTINGS);
    assert.deepEqual(a, b);
    assert.ok('changes' in a && 'changes' in c);
    const [first] = a.changes;
    const [other] = c.changes;
    assert.ok(first?.kind === 'owned' && other?.kind === 'owned');
    assert.match(first.object.metadata.name, /^ratchet-[0-9a-f]{16}$/);
    assert.notEqual(first.object.metadata.name, other.object.metadata.name);
    assert.equal(first.object.metadata.labels?.['app.kubernetes.io/managed-by'], 'ratchet');
    assert.equal(first.object.metadata.annotations?.['ratchet.dev/expires-at'], '2026-03-14T09:41:53.000Z');
  });

  it('rejects, through the vendored schema, an object the cluster would reject', () => {
    const problems = validateManifest({
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      metadata: { name: 'Not_A_Name', labels: { 'ratchet.dev/action-id': 'ingress.deny|ip:203.0.113.7' } },
      spec: { mtls: { mode: 'STRICTEST' } },
    });
    assert.ok(problems.some((p) => p.startsWith('/spec/mtls/mode')), problems.join('; '));
    assert.ok(problems.some((p) => p.startsWith('/metadata/name')), problems.join('; '));
    assert.ok(problems.some((p) => p.startsWith('/metadata/labels/ratchet.dev/action-id')), problems.join('; '));
  });
});
