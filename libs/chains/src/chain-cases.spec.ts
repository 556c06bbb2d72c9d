import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EnforcementAction, RiskScore, RiskSignal } from '@ratchet/contracts';
import { parseDuration, type EntityRef } from '@ratchet/kernel';
import { compileChains, DEFAULT_CHAINS, InvalidChain, type ChainSpec } from './chain';
import { decideActions } from './decide';
import { DECISION_CASES, INVALID_CHAINS, type ExpectedAction } from './fixtures/chain-cases';
import { compileAllowlist } from './guards';

const NOW = Date.parse('2026-11-24T10:07:30.000Z');
const EVENT_TIME = Date.parse('2026-11-24T10:03:10.000Z');
const FIFTEEN_MINUTES = 15 * 60_000;

function riskScore(entity: EntityRef, score: number, signalType: string): RiskScore {
  const trigger: RiskSignal = {
    v: 1,
    id: `detector|${entity}|evt-1`,
    type: signalType,
    detector: 'detector',
    entity,
    severity: 0.8,
    confidence: 0.75,
    at: EVENT_TIME,
    evidence: {},
    eventIds: ['evt-1'],
  };
  return { v: 1, entity, score, level: 'high', at: EVENT_TIME, contributions: [], trigger };
}

function expected(score: RiskScore, a: ExpectedAction): EnforcementAction {
  const ttlMs = parseDuration(a.ttl);
  return {
    v: 1,
    id: `${a.action}|${a.entity}`,
    action: a.action,
    entity: a.entity,
    reason: { chain: a.chain, step: a.step, signalType: score.trigger.type, signalId: score.trigger.id, score: score.score },
    mode: a.mode,
    state: 'applied',
    ttlMs,
    decidedAt: NOW,
    expiresAt: NOW + ttlMs,
  };
}

describe('chain cases', () => {
  for (const testCase of DECISION_CASES) {
    it(testCase.name, () => {
      const score = riskScore(testCase.score.entity, testCase.score.score, testCase.score.signalType);
      const actions = decideActions(score, compileChains(testCase.chains ?? DEFAULT_CHAINS), compileAllowlist(testCase.allowlist ?? []), NOW);
      assert.deepEqual(
        actions,
        testCase.expect.actions.map((a) => expected(score, a)),
      );
    });
  }

  it('names every case differently', () => {
    const names = DECISION_CASES.map((c) => c.name);
    assert.deepEqual(names, [...new Set(names)]);
  });
});

describe('decideActions', () => {
  const chains = compileChains(DEFAULT_CHAINS);
  const nobody = compileAllowlist([]);

  it('lasts fifteen minutes from the decision, not from the event, carrying the chain, step and signal behind it', () => {
    const score = riskScore('ip:203.0.113.7', 54, 'brute_force');
    const [action] = decideActions(score, chains, nobody, NOW);
    assert.equal(action?.action, 'ingress.deny');
    assert.equal(action?.ttlMs, FIFTEEN_MINUTES);
    assert.equal(action?.decidedAt, NOW);
    assert.equal(action?.expiresAt, NOW + FIFTEEN_MINUTES);
    assert.deepEqual(action?.reason, { chain: 'credential-attack', step: 0, signalType: 'brute_force', signalId: 'detector|ip:203.0.113.7|evt-1', score: 54 });
  });

  it('gives one action the same id for the same entity whatever decided it, so re-deciding is idempotent', () => {
    const first = decideActions(riskScore('ip:203.0.113.7', 54, 'brute_force'), chains, nobody, NOW);
    const second = decideActions(riskScore('ip:203.0.113.7', 90, 'password_spray'), chains, nobody, NOW + 60_000);
    assert.equal(first[0]?.id, 'ingress.deny|ip:203.0.113.7');
    assert.equal(second[0]?.id, first[0]?.id);
  });
});

describe('compileChains', () => {
  it('compiles the default chains', () => {
    const [chain, ...rest] = compileChains(DEFAULT_CHAINS);
    assert.equal(rest.length, 0);
    assert.equal(chain?.name, 'credential-attack');
    assert.deepEqual([...(chain?.signalTypes ?? [])], ['brute_force', 'password_spray']);
    assert.deepEqual(chain?.steps, [{ index: 0, minScore: 50, then: [{ action: 'ingress.deny', ttlMs: FIFTEEN_MINUTES }] }]);
    assert.equal(chain?.mode, 'enforce');
  });

  it('enforces unless told to shadow', () => {
    const [chain] = compileChains([{ name: 'plain', match: { signalTypes: ['brute_force'] }, steps: [{ minScore: 50, then: [{ action: 'ingress.deny', ttl: '15m' }] }] }]);
    assert.equal(chain?.mode, 'enforce');
  });

  for (const { rule, chains, chain, field } of INVALID_CHAINS) {
    it(`refuses a chain that breaks "${rule}", naming chain ${chain} and ${field}`, () => {
      assert.throws(
        () => compileChains(chains as readonly ChainSpec[]),
        (err: unknown) => {
          assert.ok(err instanceof InvalidChain, `threw ${String(err)}`);
          assert.equal(err.code, 'CHAINS.INVALID_CHAIN');
          assert.ok(err.message.startsWith(`chain ${chain}: ${field}: `), err.message);
          return true;
        },
      );
    });
  }
});
