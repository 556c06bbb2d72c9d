import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RiskSignal } from '@ratchet/contracts';
import type { StateOp } from '@ratchet/detection';
import { ManualClock } from '@ratchet/kernel';
import { authEvent, MemoryStateStore } from '@ratchet/testing';
import { scoreSignals } from './batch-scoring';
import { DEFAULT_RISK_MODEL, type RiskModel } from './risk-model';

const T0 = Date.parse('2026-11-24T10:00:00.000Z');
const HOUR = 3_600_000;
const ATTACKER_IP = '203.0.113.7';

/** A brute force from the address, at its threshold: 90 × 0.8 × 0.75 = 54. */
const bruteForce: RiskSignal = {
  v: 1,
  id: 'auth.brute-force|ip:203.0.113.7|bf-20',
  type: 'brute_force',
  detector: 'auth.brute-force',
  entity: `ip:${ATTACKER_IP}`,
  severity: 0.8,
  confidence: 0.75,
  at: T0,
  evidence: { failures: 20, threshold: 20, windowMs: 300_000 },
  eventIds: ['bf-20'],
};

/** Then alice logs in from that address and from a new country: 40 × 0.5 × 1 = 20 of her own. */
const login = authEvent({ id: 'alice-login', ts: T0 + 60_000, outcome: 'success', client: { ip: ATTACKER_IP } });
const newCountry = (at = T0 + 60_000): RiskSignal => ({
  v: 1,
  id: `auth.new-country|user:alice@example.com|alice-login-${at}`,
  type: 'new_country',
  detector: 'auth.new-country',
  entity: 'user:alice@example.com',
  severity: 0.5,
  confidence: 1,
  at,
  evidence: { country: 'NG', knownValues: 1, minHistory: 3 },
  eventIds: ['alice-login'],
});

function store() {
  const state = new MemoryStateStore(new ManualClock(T0));
  let roundTrips = 0;
  const counting = { execute: (ops: readonly StateOp[]) => (roundTrips++, state.execute(ops)), close: () => state.close() };
  return { state: counting, roundTrips: () => roundTrips };
}

describe('risk propagation from an address to the users logging in from it', () => {
  it('adds half the address’s score to a user signalled from it, naming the address, in the same round trip', async () => {
    const { state, roundTrips } = store();
    const [, alice] = await scoreSignals([bruteForce, newCountry()], state, DEFAULT_RISK_MODEL, [login]);
    // One minute into its 30-minute half-life the address scores 54 × 2^(-1/30) = 52.77; alice inherits half of that.
    const linked = 26.39;
    assert.deepEqual(alice?.contributions, [
      { type: 'linked:ip', detector: 'auth.brute-force', signalId: bruteForce.id, weight: linked, current: linked, at: T0 + 60_000, linked: `ip:${ATTACKER_IP}` },
      { type: 'new_country', detector: 'auth.new-country', signalId: newCountry().id, weight: 20, current: 20, at: T0 + 60_000 },
    ]);
    assert.equal(alice?.score, Math.round((20 + linked) * 100) / 100);
    assert.equal(alice?.level, 'medium');
    assert.equal(roundTrips(), 1);
  });

  it('lets the inherited share fade with the address’s own risk', async () => {
    const { state } = store();
    await scoreSignals([bruteForce], state, DEFAULT_RISK_MODEL);
    const [later] = await scoreSignals([newCountry(T0 + HOUR)], state, DEFAULT_RISK_MODEL, [login]);
    // Two half-lives later the address is at 13.5: alice inherits 6.75.
    assert.equal(later?.contributions.find((c) => c.type === 'linked:ip')?.current, 6.75);
    assert.equal(later?.score, 26.75);
  });

  it('adds nothing for an address without risk, without the batch’s events, or with propagation switched off', async () => {
    const clean = await scoreSignals([newCountry()], store().state, DEFAULT_RISK_MODEL, [login]);
    assert.equal(clean[0]?.score, 20);
    const withoutEvents = await scoreSignals([bruteForce, newCountry()], store().state, DEFAULT_RISK_MODEL);
    assert.equal(withoutEvents[1]?.score, 20);
    const { propagation: _off, ...noPropagation }: RiskModel = DEFAULT_RISK_MODEL;
    const off = await scoreSignals([bruteForce, newCountry()], store().state, noPropagation, [login]);
    assert.equal(off[1]?.score, 20);
  });

  it('never passes risk from a user back to an address', async () => {
    const { state } = store();
    const [, address] = await scoreSignals([newCountry(), { ...bruteForce, at: T0 + 60_000 }], state, DEFAULT_RISK_MODEL, [login]);
    assert.deepEqual(
      address?.contributions.map((c) => c.type),
      ['brute_force'],
    );
  });
});
