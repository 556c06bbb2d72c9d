import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { compileAllowlist, compileChains, DEFAULT_ACTION_CAPS } from '@ratchet/chains';
import type { RiskScore } from '@ratchet/contracts';
import { ManualClock, type EntityRef } from '@ratchet/kernel';
import { MemoryDecisionStore, MemoryEventLog, RatchetMetrics, Readiness, type DecodedMessage } from '@ratchet/platform';
import { DEFAULT_RISK_MODEL } from '@ratchet/risk';
import { ChainSetService } from './chain-set.service';
import { DecisionMirrorService } from './decision-mirror.service';
import { EnforcementService } from './enforcement.service';

const START = Date.parse('2026-11-24T10:00:00.000Z');
const ATTACKER: EntityRef = 'ip:203.0.113.7';

/** Step-up then deny on brute force, relaxing below 20 after 10 minutes; a shadow trial on spraying. */
const CHAINS = [
  {
    apiVersion: 'ratchet.dev/v1',
    kind: 'Chain',
    metadata: { name: 'escalating' },
    spec: {
      match: 'signal.type == "brute_force"',
      steps: [
        { if: 'score >= 40', then: [{ action: 'ingress.step-up', ttl: '15m' }] },
        { if: 'score >= 50', then: [{ action: 'ingress.deny', ttl: '2h' }] },
      ],
      relax: { below: 20, for: '10m' },
    },
  },
  {
    apiVersion: 'ratchet.dev/v1',
    kind: 'Chain',
    metadata: { name: 'trial' },
    spec: { match: 'signal.type == "password_spray"', steps: [{ if: 'score >= 50', then: [{ action: 'mesh.deny', ttl: '1h' }] }], mode: 'shadow' },
  },
];

/** A brute-force score whose one contribution fired at `at` with `weight` (30-minute half-life). */
function score(entity: EntityRef, weight: number, at: number, type = 'brute_force'): DecodedMessage<RiskScore> {
  const trigger = { v: 1 as const, id: `sig-${at}`, type, detector: 'auth.brute-force', entity, severity: 1, confidence: 1, at, evidence: { failures: 20 }, eventIds: [`evt-${at}`] };
  return { value: { v: 1, entity, score: weight, level: 'high', at, contributions: [{ type, detector: 'auth.brute-force', signalId: trigger.id, weight, current: weight, at }], trigger }, headers: {}, key: entity, offset: String(at), timestamp: at };
}

async function enforcer() {
  const clock = new ManualClock(START);
  const store = new MemoryDecisionStore();
  const metrics = new RatchetMetrics();
  const mirror = new DecisionMirrorService(store, clock, metrics, new Readiness());
  await mirror.onModuleInit();
  const chains = new ChainSetService(undefined, compileChains(CHAINS));
  const settings = { allowlist: compileAllowlist([]), caps: DEFAULT_ACTION_CAPS, riskModel: DEFAULT_RISK_MODEL, relaxEveryMs: 30_000 };
  const service = new EnforcementService(settings, chains, store, new MemoryEventLog(), clock, metrics, mirror);
  opened.push(async () => {
    await service.onApplicationShutdown();
    await mirror.onApplicationShutdown();
  });
  return { clock, store, mirror, service };
}
const opened: Array<() => Promise<void>> = [];
after(async () => Promise.all(opened.map((close) => close())));

describe('EnforcementService', () => {
  it('stores an escalation and ends the superseded lower step in the store at once', async () => {
    const { clock, store, mirror, service } = await enforcer();
    await service.processBatch([score(ATTACKER, 45, START)]);
    assert.deepEqual((await store.active(START)).map((a) => a.action), ['ingress.step-up']);
    clock.set(START + 1_000);
    const recorded = await service.processBatch([score(ATTACKER, 60, START + 1_000)]);
    assert.deepEqual(recorded.map((a) => `${a.state} ${a.action}`), ['applied ingress.deny', 'reverted ingress.step-up']);
    assert.deepEqual((await store.active(START + 1_000)).map((a) => a.action), ['ingress.deny']);
    assert.deepEqual(mirror.active().map((a) => a.action), ['ingress.deny']);
  });

  it('decides and records a shadow chain’s action but never stores it', async () => {
    const { store, service } = await enforcer();
    const recorded = await service.processBatch([score(ATTACKER, 70, START, 'password_spray')]);
    assert.deepEqual(recorded.map((a) => `${a.state} ${a.action} ${a.mode}`), ['applied mesh.deny shadow']);
    assert.deepEqual(await store.active(START), []);
  });

  it('relaxes a quiet entity on the tick once its decayed score has stayed below relax.below long enough', async () => {
    const { clock, store, service } = await enforcer();
    await service.processBatch([score(ATTACKER, 60, START)]);
    // 60 halves every 30 minutes: below 20 from about 48 minutes on.
    clock.set(START + 40 * 60_000);
    assert.deepEqual(await service.relaxQuietEntities(), []);
    clock.set(START + 50 * 60_000);
    assert.deepEqual(await service.relaxQuietEntities(), [], 'relaxed before relax.for had passed');
    clock.set(START + 60 * 60_000 - 1);
    assert.deepEqual(await service.relaxQuietEntities(), []);
    assert.equal((await store.active(START + 60 * 60_000 - 1)).length, 1);
    clock.set(START + 60 * 60_000);
    const reverted = await service.relaxQuietEntities();
    assert.deepEqual(reverted.map((a) => `${a.state} ${a.action} ${a.reason.chain}/${a.reason.step}`), ['reverted ingress.deny escalating/1']);
    assert.deepEqual(await store.active(START + 60 * 60_000), []);
  });
});
