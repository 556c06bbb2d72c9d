import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ACTION_KINDS } from '@ratchet/contracts';
import { POLICY_TARGETS, requiredRbac } from '@ratchet/policy';
import { enforcementAction } from '@ratchet/testing';
import { ACTION_CATALOGUE, compileActionParams, SERVICE_TARGETS } from './action-catalogue';
import { judgeRequest } from './verdict';
import { compileChains } from './chain';

describe('ACTION_CATALOGUE', () => {
  it('describes every action of the contract exactly once', () => {
    assert.deepEqual(ACTION_CATALOGUE.map((a) => a.id).sort(), [...ACTION_KINDS].sort());
  });

  it('renders each action to at least one known target', () => {
    const known = new Set<string>([...SERVICE_TARGETS, ...POLICY_TARGETS.map((t) => t.name)]);
    for (const action of ACTION_CATALOGUE) {
      assert.ok(action.targets.length > 0, `${action.id} renders nowhere`);
      for (const target of action.targets) assert.ok(known.has(target), `${action.id}: unknown target ${target}`);
    }
  });

  it('names as targets exactly the policy targets that render the action, and asks exactly their RBAC', () => {
    for (const action of ACTION_CATALOGUE) {
      const rendering = POLICY_TARGETS.filter((t) => t.actions.includes(action.id));
      assert.deepEqual(
        action.targets.filter((t) => !(SERVICE_TARGETS as readonly string[]).includes(t)),
        rendering.map((t) => t.name),
      );
      assert.deepEqual(action.requiredRbac, requiredRbac(rendering));
    }
  });

  it('asks RBAC to patch every Kubernetes object an action renders or attaches to (server-side apply is a patch)', () => {
    const rendered = ACTION_CATALOGUE.filter((a) => a.targets.some((t) => !(SERVICE_TARGETS as readonly string[]).includes(t)));
    assert.ok(rendered.length > 0);
    for (const action of rendered) assert.ok(action.requiredRbac.some((rule) => rule.verbs.includes('patch')), `${action.id} can patch nothing it renders`);
  });

  it('says an action denies exactly when the fast path refuses a request it is in force against', () => {
    const now = Date.parse('2026-11-24T10:00:00.000Z');
    for (const action of ACTION_CATALOGUE) {
      const params = Object.fromEntries(Object.entries(action.example).filter(([name]) => name !== 'action' && name !== 'ttl'));
      const decision = enforcementAction(action.id, 'ip:203.0.113.7', { decidedAt: now, params });
      const { verdict } = judgeRequest({ clientIp: '203.0.113.7', path: '/login', method: 'POST' }, [decision], now);
      assert.equal(verdict.outcome === 'deny', action.denies, `${action.id}: the fast path answers ${verdict.outcome}`);
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
