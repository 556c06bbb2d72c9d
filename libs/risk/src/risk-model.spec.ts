import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RiskLevel, RiskSignal } from '@ratchet/contracts';
import type { EntityRef } from '@ratchet/kernel';
import { ManualClock } from '@ratchet/kernel';
import { MemoryStateStore } from '@ratchet/testing';
import { scoreSignals } from './batch-scoring';
import { DEFAULT_RISK_MODEL, levelOf, planRiskUpdate, scoreEntity } from './risk-model';

const T0 = Date.parse('2026-11-24T10:00:00.000Z');
const MIN = 60_000;
const HALF_LIFE = DEFAULT_RISK_MODEL.weights['brute_force']?.halfLifeMs ?? Number.NaN;
const ATTACKER: EntityRef = 'ip:203.0.113.7';

let sequence = 0;

/** A signal as a detector emits it; a brute force just at its threshold unless told otherwise. */
function signal(overrides: Partial<RiskSignal> = {}): RiskSignal {
  const type = overrides.type ?? 'brute_force';
  const id = overrides.id ?? `sig-${++sequence}`;
  return {
    v: 1,
    id,
    type,
    detector: type === 'password_spray' ? 'auth.password-spray' : 'auth.brute-force',
    entity: ATTACKER,
    severity: 0.8,
    confidence: 0.75,
    at: T0,
    evidence: { failures: 20, threshold: 20, windowMs: 5 * MIN },
    eventIds: [`evt-${id}`],
    ...overrides,
  };
}

async function score(signals: readonly RiskSignal[]) {
  return scoreSignals(signals, new MemoryStateStore(new ManualClock(T0)), DEFAULT_RISK_MODEL);
}

describe('scoreSignals', () => {
  it('scores one brute-force signal as high and explains the contribution behind it', async () => {
    const bruteForce = signal({ id: 'bf-1' });
    const [result] = await score([bruteForce]);
    assert.deepEqual(result, {
      v: 1,
      entity: ATTACKER,
      // 90 (weight) × 0.8 (severity) × 0.75 (confidence)
      score: 54,
      level: 'high',
      at: T0,
      contributions: [{ type: 'brute_force', detector: 'auth.brute-force', signalId: 'bf-1', weight: 54, current: 54, at: T0 }],
      trigger: bruteForce,
    });
  });

  it('answers one score per signal, in order, each with what was known at that signal', async () => {
    const results = await score([signal({ at: T0 }), signal({ type: 'password_spray', at: T0 + MIN })]);
    assert.deepEqual(
      results.map((r) => [r.trigger.type, r.contributions.length]),
      [
        ['brute_force', 1],
        ['password_spray', 2],
      ],
    );
  });

  it('halves a contribution after one half-life', async () => {
    const [, later] = await score([signal({ at: T0 }), signal({ type: 'password_spray', at: T0 + HALF_LIFE })]);
    assert.equal(later?.contributions.find((c) => c.type === 'brute_force')?.current, 27);
    assert.equal(later?.score, 27 + 54);
    assert.equal(later?.level, 'critical');
  });

  it('refreshes rather than stacks repeated signals of the same type', async () => {
    const results = await score([
      signal({ at: T0, confidence: 0.75 }),
      signal({ at: T0 + 10_000, confidence: 0.775 }),
      signal({ id: 'bf-latest', at: T0 + 20_000, confidence: 0.8 }),
    ]);
    const last = results.at(-1);
    assert.equal(last?.contributions.length, 1);
    assert.equal(last?.contributions[0]?.signalId, 'bf-latest');
    assert.equal(last?.score, 57.6);
  });

  it('changes nothing when the same signal is delivered again', async () => {
    const bruteForce = signal();
    const [first, again] = await score([bruteForce, bruteForce]);
    assert.deepEqual(again, first);
  });

  it('adds up the contributions of different signal types, with the fallback weight for a type the model does not list', async () => {
    const [, both] = await score([signal(), signal({ type: 'honeytoken_touched', detector: 'custom.honeytoken', severity: 0.5, confidence: 1 })]);
    // 54 for the brute force, 40 (fallback weight) × 0.5 × 1 for the unlisted type.
    assert.equal(both?.score, 74);
    assert.deepEqual(
      both?.contributions.map((c) => [c.type, c.current]),
      [
        ['brute_force', 54],
        ['honeytoken_touched', 20],
      ],
    );
  });

  it('caps the score at 100', async () => {
    const [, both] = await score([signal({ confidence: 1 }), signal({ type: 'password_spray', confidence: 1 })]);
    assert.deepEqual(
      both?.contributions.map((c) => c.current),
      [72, 72],
    );
    assert.equal(both?.score, 100);
    assert.equal(both?.level, 'critical');
  });

  it('keeps the risk of different entities apart', async () => {
    const results = await score([signal({ entity: 'ip:203.0.113.7' }), signal({ type: 'password_spray', entity: 'ip:198.51.100.23' })]);
    assert.deepEqual(
      results.map((r) => [r.entity, r.score, r.contributions.length]),
      [
        ['ip:203.0.113.7', 54, 1],
        ['ip:198.51.100.23', 54, 1],
      ],
    );
  });
});

describe('scoreEntity', () => {
  const bruteForce = signal({ id: 'bf-decay', at: T0 });
  const record = planRiskUpdate(bruteForce, DEFAULT_RISK_MODEL).fields;

  it('decays a signal by half at t + one half-life and by three quarters at t + two', () => {
    const atHalfLife = scoreEntity(ATTACKER, record, { ...bruteForce, at: T0 + HALF_LIFE }, DEFAULT_RISK_MODEL);
    assert.equal(atHalfLife.score, 27);
    assert.equal(atHalfLife.level, 'medium');
    assert.deepEqual(atHalfLife.contributions, [{ type: 'brute_force', detector: 'auth.brute-force', signalId: 'bf-decay', weight: 54, current: 27, at: T0 }]);
    assert.equal(scoreEntity(ATTACKER, record, { ...bruteForce, at: T0 + 2 * HALF_LIFE }, DEFAULT_RISK_MODEL).score, 13.5);
  });

  it('does not decay a signal at its own time', () => {
    assert.equal(scoreEntity(ATTACKER, record, bruteForce, DEFAULT_RISK_MODEL).score, 54);
  });

  it('scores the time of the triggering signal', () => {
    assert.equal(scoreEntity(ATTACKER, record, { ...bruteForce, at: T0 + MIN }, DEFAULT_RISK_MODEL).at, T0 + MIN);
  });

  it('ignores fields of the record it cannot read', () => {
    const result = scoreEntity(ATTACKER, { ...record, password_spray: 'not json', other: '{"w":"x"}' }, bruteForce, DEFAULT_RISK_MODEL);
    assert.deepEqual(
      result.contributions.map((c) => c.type),
      ['brute_force'],
    );
    assert.equal(result.score, 54);
  });
});

describe('levelOf', () => {
  const boundaries: Array<[number, RiskLevel]> = [
    [0, 'none'],
    [0.99, 'none'],
    [1, 'low'],
    [24.99, 'low'],
    [25, 'medium'],
    [49.99, 'medium'],
    [50, 'high'],
    [74.99, 'high'],
    [75, 'critical'],
    [100, 'critical'],
  ];
  for (const [value, level] of boundaries) {
    it(`calls a score of ${value} ${level}`, () => {
      assert.equal(levelOf(value, DEFAULT_RISK_MODEL), level);
    });
  }
});
