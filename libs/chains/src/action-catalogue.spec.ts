import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ACTION_KINDS } from '@ratchet/contracts';
import { ACTION_CATALOGUE, compileActionParams, RENDER_TARGETS } from './action-catalogue';
import { compileChains } from './chain';

describe('ACTION_CATALOGUE', () => {
  it('describes every action of the contract exactly once', () => {
    assert.deepEqual(ACTION_CATALOGUE.map((a) => a.id).sort(), [...ACTION_KINDS].sort());
  });

  it('renders each action to at least one known target', () => {
    for (const action of ACTION_CATALOGUE) {
      assert.ok(action.targets.length > 0, `${action.id} renders nowhere`);
      for (const target of action.targets) assert.ok((RENDER_TARGETS as readonly string[]).includes(target), `${action.id}: unknown target ${target}`);
    }
  });

  it('asks RBAC for every action it renders as a Kubernetes object, with verbs to create and remove or patch it', () => {
    const kubernetesTargets = ['nginx-ingress-policy', 'istio-authorization-policy', 'network-policy', 'cert-manager'];
    for (const action of ACTION_CATALOGUE) {
      if (!action.targets.some((t) => kubernetesTargets.includes(t))) continue;
      assert.ok(action.requiredRbac.length > 0, `${action.id} renders objects but asks no RBAC`);
      for (const rule of action.requiredRbac) assert.ok(rule.verbs.includes('patch'), `${action.id}: ${rule.resources.join(',')} cannot be patched`);
    }
  });

  it('gives an example each action accepts in a chain', () => {
    const steps = ACTION_CATALOGUE.map((a) => ({ if: 'score >= 90', then: [a.example] }));
    const [chain] = compileChains([{ apiVersion: 'ratchet.dev/v1', kind: 'Chain', metadata: { name: 'examples' }, spec: { match: 'score >= 0.0', steps } }]);
    assert.deepEqual(
      chain?.steps.map((s) => s.then[0]?.action),
      ACTION_CATALOGUE.map((a) => a.id),
    );
  });

  it('keeps the parameters an action takes and refuses those it does not', () => {
    assert.deepEqual(compileActionParams('ingress.rate-limit', { rps: 2, burst: 10 }), { params: { rps: 2, burst: 10 } });
    assert.deepEqual(compileActionParams('ingress.deny', {}), {});
    assert.deepEqual(compileActionParams('ingress.rate-limit', { rps: 0 }), { problem: { field: 'rps', message: 'must be a number from 0.01 to 10000' } });
  });
});
