import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { POLICY_TARGETS, requiredRbac } from './policy-targets';

const RBAC_FILE = join(__dirname, '..', '..', '..', 'k8s', 'base', 'enforcer-policy-rbac.yaml');

interface RoleRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

describe('the enforcer ClusterRole in k8s/', () => {
  const docs = parseAllDocuments(readFileSync(RBAC_FILE, 'utf8')).map((d) => d.toJS() as { kind: string; rules?: RoleRule[] });
  const role = docs.find((d) => d.kind === 'ClusterRole');

  it('grants exactly what the policy targets list as requiredRbac, no more and no less', () => {
    assert.ok(role?.rules, `${RBAC_FILE} has no ClusterRole with rules`);
    const granted = role.rules.map((r) => {
      assert.equal(r.apiGroups.length, 1, 'one API group per rule keeps the comparison exact');
      return { apiGroup: r.apiGroups[0], resources: [...r.resources].sort(), verbs: [...r.verbs].sort() };
    });
    assert.deepEqual(granted, requiredRbac(POLICY_TARGETS));
  });

  it('grants nothing cluster-wide beyond the policy kinds: no secrets, pods, wildcards or escalation verbs', () => {
    const all = (role?.rules ?? []).flatMap((r) => [...r.apiGroups, ...r.resources, ...r.verbs]);
    for (const forbidden of ['*', 'secrets', 'pods', 'escalate', 'bind', 'impersonate']) assert.ok(!all.includes(forbidden), forbidden);
  });
});
