import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RecordMergeOp, RecordReadOp, SetAddOp, StateOp, WindowCountOp } from '@ratchet/detection';
import { ManualClock } from '@ratchet/kernel';
import { MemoryStateStore, SWEEP_INTERVAL_MS, SWEEP_MIN_OPS } from './memory-state-store';

const T0 = Date.parse('2026-11-25T08:00:00Z');
const MINUTE = 60_000;

const failure = (of: string, n: number): WindowCountOp => ({ kind: 'window.count', key: 'bf:ip', of, member: `e-${of}-${n}`, at: T0 + n, windowMs: 5 * MINUTE });
const lastLogin = (of: string): RecordMergeOp => ({ kind: 'record.merge', key: 'travel:user', of, fields: { country: 'NZ' }, retainMs: 30 * 86_400_000 });
const device = (of: string): SetAddOp => ({ kind: 'set.add', key: 'nd:user', of, member: 'laptop', at: T0, maxMembers: 50, retainMs: 90 * 86_400_000 });

/** Work on one other subject: enough operations for a sweep to be due. */
function busyWork(): StateOp[] {
  const read: RecordReadOp = { kind: 'record.read', key: 'travel:user', of: 'someone-else' };
  return new Array<StateOp>(SWEEP_MIN_OPS + 1).fill(read);
}

/**
 * An embedded Ratchet holds its state in this process: keys past their retention must not only
 * answer as absent (the contract suite checks that) but also give their memory back, or a scorer
 * that sees a new address every second grows without bound.
 */
describe('memory state expiry', () => {
  it('gives back the memory of expired keys once they are due, and keeps the rest', async () => {
    const clock = new ManualClock(T0);
    const store = new MemoryStateStore(clock);
    const addresses = Array.from({ length: 1_000 }, (_, i) => `198.51.100.${i % 250}-${i}`);
    await store.execute(addresses.map((ip) => failure(ip, 1)));
    await store.execute([lastLogin('alice@example.com'), device('alice@example.com')]);
    assert.equal(store.size, 1_002);

    // Failure windows keep their members for twice the window: ten minutes. Alice's keys keep for a month and more.
    clock.advance(Math.max(11 * MINUTE, SWEEP_INTERVAL_MS));
    await store.execute(busyWork());

    assert.equal(store.size, 2, 'only alice’s record and device set are held');
    const [record, devices] = await store.execute([{ kind: 'record.read', key: 'travel:user', of: 'alice@example.com' }, device('alice@example.com')]);
    assert.deepEqual(record, { country: 'NZ' });
    assert.deepEqual(devices, { known: true, size: 1 });
  });

  it('answers an expired key as absent before its memory is given back', async () => {
    const clock = new ManualClock(T0);
    const store = new MemoryStateStore(clock);
    await store.execute([failure('203.0.113.9', 1), failure('203.0.113.9', 2)]);
    clock.advance(11 * MINUTE);
    // The first failure after the quiet spell counts alone: the two before are gone with their key.
    assert.deepEqual(await store.execute([failure('203.0.113.9', 11 * MINUTE)]), [1]);
  });
});
