import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { EnforcementAction, RiskScore } from '@ratchet/contracts';
import { formatDuration, parseDuration, type EntityRef } from '@ratchet/kernel';
import { compileChains, DEFAULT_CHAINS_FILE, InvalidChain, parseChainDocuments } from './chain';
import { evaluateChains, relaxChains, type ChainOutcome } from './chain-engine';
import { MemoryChainRuns } from './chain-runs';
import { ATTACKER, CHAIN_CASES, INVALID_CHAINS, type ChainCase } from './fixtures/chain-cases';
import { ActionCapGuard, compileAllowlist, DEFAULT_ACTION_CAPS } from './guards';

const START = Date.parse('2026-11-24T10:07:30.000Z');
const DEFAULT_CHAINS_YAML = readFileSync(DEFAULT_CHAINS_FILE, 'utf8');

function riskScore(entity: EntityRef, score: number, type: string, evidence: Record<string, number | string>, severity: number, at: number): RiskScore {
  return {
    v: 1,
    entity,
    score,
    level: score >= 75 ? 'critical' : score >= 50 ? 'high' : score >= 25 ? 'medium' : score >= 1 ? 'low' : 'none',
    at,
    contributions: [],
    trigger: { v: 1, id: `detector|${entity}|${at}`, type, detector: 'detector', entity, severity, confidence: 0.75, at, evidence, eventIds: [`evt-${at}`] },
  };
}

/** One line per action, as the fixtures write them. */
function describeOutcome(outcome: ChainOutcome): string[] {
  const by = (a: EnforcementAction) => `${a.action} ${a.entity} by ${a.reason.chain}/${a.reason.step}`;
  return [
    ...outcome.applied.map((a) => `applied${a.mode === 'shadow' ? '(shadow)' : ''} ${by(a)} for ${formatDuration(a.expiresAt - a.decidedAt)}`),
    ...outcome.reverted.map((a) => `reverted ${by(a)}`),
    ...outcome.failed.map((a) => `failed ${by(a)} (${a.failure?.reason ?? 'no reason'})`),
  ];
}

function runCase(testCase: ChainCase): void {
  const chains = compileChains(parseChainDocuments(testCase.chains ?? DEFAULT_CHAINS_YAML, 'case'));
  const runs = new MemoryChainRuns();
  const allowlist = compileAllowlist(testCase.allowlist ?? []);
  const caps = new ActionCapGuard(testCase.caps ?? DEFAULT_ACTION_CAPS);
  for (const moment of testCase.timeline) {
    const now = START + parseDuration(moment.at);
    const entity = moment.entity ?? ATTACKER;
    let outcome: ChainOutcome;
    if ('tick' in moment) {
      outcome = { applied: [], reverted: relaxChains(entity, moment.tick, { chains, runs, allowlist, now }), failed: [] };
    } else {
      const score = riskScore(entity, moment.score, moment.signal, moment.evidence ?? {}, moment.severity ?? 0.8, now - 2_000);
      outcome = evaluateChains(score, { chains, runs, allowlist, caps, activeActions: moment.activeActions ?? 0, now });
    }
    assert.deepEqual(describeOutcome(outcome), moment.expect, `at ${moment.at}`);
  }
}

describe('chain cases', () => {
  for (const testCase of CHAIN_CASES) it(testCase.name, () => runCase(testCase));

  it('names every case differently', () => {
    const names = CHAIN_CASES.map((c) => c.name);
    assert.deepEqual(names, [...new Set(names)]);
  });
});

describe('evaluateChains', () => {
  const chains = compileChains(parseChainDocuments(DEFAULT_CHAINS_YAML, DEFAULT_CHAINS_FILE));
  const context = (now: number) => ({ chains, runs: new MemoryChainRuns(), allowlist: compileAllowlist([]), caps: new ActionCapGuard(DEFAULT_ACTION_CAPS), activeActions: 0, now });

  it('lasts the TTL from the decision, not from the event, carrying the chain, step, signal and parameters behind it', () => {
    const score = riskScore(ATTACKER, 45, 'brute_force', { failures: 12 }, 0.8, START - 60_000);
    const [action] = evaluateChains(score, context(START)).applied;
    assert.deepEqual(action, {
      v: 1,
      id: 'ingress.rate-limit|ip:203.0.113.7',
      action: 'ingress.rate-limit',
      entity: ATTACKER,
      params: { rps: 1 },
      reason: { chain: 'credential-attack', step: 1, signalType: 'brute_force', signalId: score.trigger.id, score: 45 },
      mode: 'enforce',
      state: 'applied',
      ttlMs: 15 * 60_000,
      decidedAt: START,
      expiresAt: START + 15 * 60_000,
    });
  });

  it('reverts an action by ending it now, keeping the chain and step that decided it', () => {
    const ctx = context(START);
    evaluateChains(riskScore(ATTACKER, 35, 'brute_force', { failures: 6 }, 0.8, START), ctx);
    const { reverted } = evaluateChains(riskScore(ATTACKER, 45, 'brute_force', { failures: 12 }, 0.8, START + 1_000), { ...ctx, now: START + 1_000 });
    assert.equal(reverted.length, 1);
    assert.equal(reverted[0]?.state, 'reverted');
    assert.equal(reverted[0]?.expiresAt, START + 1_000);
    assert.deepEqual([reverted[0]?.reason.chain, reverted[0]?.reason.step], ['credential-attack', 0]);
  });
});

describe('compileChains', () => {
  it('compiles the shipped default chains', () => {
    const chains = compileChains(parseChainDocuments(DEFAULT_CHAINS_YAML, DEFAULT_CHAINS_FILE));
    assert.deepEqual(
      chains.map((c) => [c.name, c.steps.length, c.mode]),
      [
        ['credential-attack', 3, 'enforce'],
        ['account-takeover', 2, 'enforce'],
        ['east-west', 2, 'enforce'],
        ['control-plane', 2, 'enforce'],
      ],
    );
    assert.deepEqual(chains[0]?.relax, { below: 20, forMs: 10 * 60_000 });
    assert.equal(chains[0]?.cooldownMs, 0);
  });

  it('reads chains from JSON too, one document or an array of them', () => {
    const json = JSON.stringify([{ apiVersion: 'ratchet.dev/v1', kind: 'Chain', metadata: { name: 'json-chain' }, spec: { match: 'score >= 0.0', steps: [{ if: 'score >= 90', then: [{ action: 'notify', ttl: '1h' }] }] } }]);
    assert.deepEqual(compileChains(parseChainDocuments(json, 'chains.json')).map((c) => c.name), ['json-chain']);
  });

  it('refuses a file that is not YAML, naming the file and the line', () => {
    assert.throws(() => parseChainDocuments('apiVersion: ratchet.dev/v1\nkind: [Chain\n', 'chains/bad.yaml'), (err: unknown) => {
      assert.ok(err instanceof Error && 'code' in err && err.code === 'CHAINS.INVALID_FILE', String(err));
      assert.match(err.message, /^chains\/bad\.yaml: line \d+ column \d+: is not YAML or JSON: /);
      return true;
    });
  });

  for (const { rule, yaml, message } of INVALID_CHAINS) {
    it(`refuses a chain that breaks "${rule}", naming the chain, the field and the expression`, () => {
      assert.throws(
        () => compileChains(parseChainDocuments(yaml, 'case.yaml')),
        (err: unknown) => {
          assert.ok(err instanceof InvalidChain, `threw ${String(err)}`);
          assert.equal(err.code, 'CHAINS.INVALID_CHAIN');
          if (typeof message === 'string') assert.equal(err.message, message);
          else assert.match(err.message, message);
          return true;
        },
      );
    });
  }
});
