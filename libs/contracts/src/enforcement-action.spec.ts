import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readEnforcementAction, type EnforcementAction } from './enforcement-action';

const DENY: EnforcementAction = {
  v: 1,
  id: 'ingress.deny|ip:203.0.113.7',
  action: 'ingress.deny',
  entity: 'ip:203.0.113.7',
  reason: { chain: 'credential-attack', step: 2, signalType: 'brute_force', signalId: 's1', score: 91 },
  mode: 'enforce',
  state: 'applied',
  ttlMs: 900_000,
  decidedAt: 1_764_000_000_000,
  expiresAt: 1_764_000_900_000,
};

describe('readEnforcementAction', () => {
  it('answers a well-formed decision as it is', () => {
    assert.equal(readEnforcementAction(DENY), DENY);
    const limited = { ...DENY, action: 'ingress.rate-limit', params: { rps: 5, burst: 10, scope: 'ip', shadowed: false } };
    assert.equal(readEnforcementAction(limited), limited);
  });

  it('names the first field a stored or sent decision gets wrong', () => {
    const cases: Array<[unknown, string]> = [
      [null, 'not an object'],
      [[DENY], 'not an object'],
      [{ ...DENY, id: '' }, 'id must be a string'],
      [{ ...DENY, action: 'ingress.block' }, 'action "ingress.block" is not one of'],
      [{ ...DENY, entity: '203.0.113.7' }, 'entity "203.0.113.7" is not an entity reference'],
      [{ ...DENY, mode: 'dry-run' }, 'mode must be enforce or shadow'],
      [{ ...DENY, expiresAt: '2026-11-25' }, 'expiresAt must be epoch milliseconds'],
      [{ ...DENY, reason: { chain: 'credential-attack' } }, 'reason must name the chain and step'],
      [{ ...DENY, params: { rps: [5] } }, 'params.rps must be a string, number or boolean'],
    ];
    for (const [value, problem] of cases) {
      const answer = readEnforcementAction(value);
      assert.equal(typeof answer, 'string', JSON.stringify(value));
      assert.ok((answer as string).startsWith(problem), `${answer as string} ≠ ${problem}`);
    }
  });
});
