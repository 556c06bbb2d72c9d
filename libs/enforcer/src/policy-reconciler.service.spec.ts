import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HEADERS, TOPICS, type ConsumedMessage, type EnforcementAction } from '@ratchet/contracts';
import { MemoryEventLog } from '@ratchet/platform';
import type { PolicyOutcome } from '@ratchet/platform/kubernetes';
import { awaitUntil, enforcementAction } from '@ratchet/testing';
import { PolicyReconcilerService, type PolicyReconciler } from './policy-reconciler.service';

const quarantine = enforcementAction('network.quarantine', 'svc:spiffe://cluster.local/ns/shop/sa/cart', { params: { selector: 'app=cart' } });

/** A reconciler that answers the outcomes it is given, pass after pass, and counts the passes. */
class ScriptedReconciler implements PolicyReconciler {
  passes = 0;
  constructor(
    private readonly answers: Array<PolicyOutcome[] | Error>,
    private readonly missing?: string,
  ) {}
  async verifyTargets(): Promise<void> {
    if (this.missing) throw new Error(this.missing);
  }
  async reconcile(): Promise<PolicyOutcome[]> {
    const answer = this.answers[Math.min(this.passes++, this.answers.length - 1)] ?? [];
    if (answer instanceof Error) throw answer;
    return answer;
  }
}

async function recorder(eventLog: MemoryEventLog): Promise<ConsumedMessage[]> {
  const seen: ConsumedMessage[] = [];
  await eventLog.ensureTopics([TOPICS.enforcementActions]);
  await eventLog.consume({ group: 'audit', topics: [TOPICS.enforcementActions], handle: async (batch) => void seen.push(...batch.messages) });
  return seen;
}

describe('PolicyReconcilerService', () => {
  const failed: PolicyOutcome = { actionId: quarantine.id, target: 'network-policy', state: 'failed', reason: 'not-owned', object: 'NetworkPolicy shop/ratchet-x' };

  it('records a failed change on enforcement.actions once, with the reason in its failure and the ratchet-reason header', async () => {
    const eventLog = new MemoryEventLog();
    const seen = await recorder(eventLog);
    const reconciler = new ScriptedReconciler([[failed], [failed], [{ ...failed, state: 'applied', reason: undefined }], [failed]]);
    const service = new PolicyReconcilerService({ reconciler, intervalMs: 60_000 }, { active: () => [quarantine] }, eventLog);
    for (let i = 0; i < 4; i++) await service.reconcileNow();
    await awaitUntil('two failure records', async () => (seen.length >= 2 ? true : undefined));
    assert.equal(reconciler.passes, 4);
    assert.deepEqual(
      seen.map((m) => {
        const action = JSON.parse(m.value) as EnforcementAction;
        return [action.state, action.failure, m.headers[HEADERS.reason], m.key];
      }),
      [
        ['failed', { reason: 'policy', detail: 'network-policy: not-owned' }, 'network-policy: not-owned', quarantine.entity],
        ['failed', { reason: 'policy', detail: 'network-policy: not-owned' }, 'network-policy: not-owned', quarantine.entity],
      ],
      'the second pass repeats nothing; after an applied pass the failure is news again',
    );
    await eventLog.close();
  });

  it('keeps going when a pass throws: the next one runs', async () => {
    const eventLog = new MemoryEventLog();
    const reconciler = new ScriptedReconciler([new Error('connect ECONNREFUSED 10.96.0.1:443'), []]);
    const service = new PolicyReconcilerService({ reconciler, intervalMs: 60_000 }, { active: () => [quarantine] }, eventLog);
    await service.reconcileNow();
    await service.reconcileNow();
    assert.equal(reconciler.passes, 2);
    await eventLog.close();
  });

  it('refuses to start when a configured target is missing from the cluster', async () => {
    const eventLog = new MemoryEventLog();
    const reconciler = new ScriptedReconciler([[]], 'RATCHET_POLICY_TARGETS: target "istio-peer-authentication" needs security.istio.io/v1');
    const service = new PolicyReconcilerService({ reconciler, intervalMs: 60_000 }, { active: () => [] }, eventLog);
    await assert.rejects(service.onApplicationBootstrap(), /istio-peer-authentication/);
    assert.equal(reconciler.passes, 0);
    await service.onApplicationShutdown();
    await eventLog.close();
  });
});
