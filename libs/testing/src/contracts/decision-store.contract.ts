import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { actionId, type EnforcementAction } from '@ratchet/contracts';
import type { DecisionStore } from '@ratchet/chains';
import type { EntityRef } from '@ratchet/kernel';
import { deferred } from '../await-until';
import { uniqueName } from '../infra';

/** Two replicas' views of one backing store (for memory, the same instance twice). */
export type DecisionStoreFactory = () => Promise<{ a: DecisionStore; b: DecisionStore }>;

export function denyAction(entity: EntityRef, decidedAt: number, ttlMs: number): EnforcementAction {
  return {
    v: 1,
    id: actionId('ingress.deny', entity),
    action: 'ingress.deny',
    entity,
    reason: { chain: 'credential-attack', step: 0, signalType: 'brute_force', signalId: 's', score: 90 },
    mode: 'enforce',
    state: 'applied',
    ttlMs,
    decidedAt,
    expiresAt: decidedAt + ttlMs,
  };
}

/** The behaviour every DecisionStore adapter must have: memory in unit tests, Redis for real. */
export function describeDecisionStoreContract(adapter: string, open: DecisionStoreFactory): void {
  describe(`DecisionStore contract: ${adapter}`, () => {
    const opened: DecisionStore[] = [];
    const pair = async () => {
      const p = await open();
      opened.push(p.a, p.b);
      return p;
    };
    after(async () => Promise.all([...new Set(opened)].map((s) => s.close())));
    const now = Date.now();
    const ip = (): EntityRef => `ip:${uniqueName('198.51.100')}`;

    it('lists a decision until it expires, and not after', async () => {
      const { a } = await pair();
      const action = denyAction(ip(), now, 15 * 60_000);
      await a.put([action]);
      assert.ok((await a.active(now + 1)).some((d) => d.id === action.id && d.expiresAt === action.expiresAt));
      assert.ok(!(await a.active(action.expiresAt)).some((d) => d.id === action.id));
    });

    it('keeps the later expiry when the same decision is put twice', async () => {
      const { a } = await pair();
      const entity = ip();
      const long = denyAction(entity, now, 30 * 60_000);
      await a.put([long]);
      await a.put([denyAction(entity, now, 60_000)]);
      const found = (await a.active(now)).filter((d) => d.entity === entity);
      assert.equal(found.length, 1);
      assert.equal(found[0]?.expiresAt, long.expiresAt);
      const longer = denyAction(entity, now + 1_000, 30 * 60_000);
      await a.put([longer]);
      assert.equal((await a.active(now)).find((d) => d.entity === entity)?.expiresAt, longer.expiresAt);
    });

    it('ends a decision at once when its reverted form is put, and pushes the revert', { timeout: 30_000 }, async () => {
      const { a, b } = await pair();
      const entity = ip();
      await a.put([denyAction(entity, now, 30 * 60_000)]);
      const reverted: EnforcementAction = { ...denyAction(entity, now, 30 * 60_000), state: 'reverted', expiresAt: now + 60_000 };
      const pushed = deferred<EnforcementAction>();
      const watch = await b.watch((d) => d.id === reverted.id && d.state === 'reverted' && pushed.resolve(d));
      await a.put([reverted]);
      assert.deepEqual(await pushed.promise, reverted);
      assert.ok(!(await b.active(now + 60_000)).some((d) => d.entity === entity));
      await watch.close();
    });

    it('shows a decision stored by one replica to another', async () => {
      const { a, b } = await pair();
      const action = denyAction(ip(), now, 60_000);
      await a.put([action]);
      assert.ok((await b.active(now)).some((d) => d.id === action.id));
    });

    it('pushes every stored decision to the watchers of every replica', { timeout: 30_000 }, async () => {
      const { a, b } = await pair();
      const action = denyAction(ip(), now, 60_000);
      const pushed = deferred<EnforcementAction>();
      const watch = await b.watch((d) => d.id === action.id && pushed.resolve(d));
      await a.put([action]);
      assert.deepEqual(await pushed.promise, action);
      await watch.close();
    });
  });
}
