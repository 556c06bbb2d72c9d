import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { StateStore } from '@ratchet/detection';
import { uniqueName } from '../infra';

export type StateStoreFactory = () => Promise<StateStore>;

const MIN = 60_000;
const T0 = Date.parse('2026-11-24T10:00:00Z');

/** The behaviour every StateStore adapter must have: memory in unit tests, Redis for real. */
export function describeStateStoreContract(adapter: string, open: StateStoreFactory): void {
  describe(`StateStore contract: ${adapter}`, () => {
    const stores: StateStore[] = [];
    const store = async (): Promise<StateStore> => {
      const s = await open();
      stores.push(s);
      return s;
    };
    after(async () => Promise.all(stores.map((s) => s.close())));
    const count = (key: string, member: string, at: number, windowMs = 5 * MIN) =>
      ({ kind: 'window.count', key, member, at, windowMs }) as const;
    const distinct = (key: string, member: string, at: number, windowMs = 5 * MIN) =>
      ({ kind: 'window.distinct', key, member, at, windowMs }) as const;

    it('counts the members of a key inside the window, in event time', async () => {
      const s = await store();
      const key = uniqueName('w');
      const results = await s.execute([0, 1, 2, 3, 4].map((m) => count(key, `e${m}`, T0 + m * MIN)));
      assert.deepEqual(results, [1, 2, 3, 4, 5]);
      // Six minutes in, the events at 0 (and only those) have left the five-minute window.
      assert.deepEqual(await s.execute([count(key, 'e6', T0 + 6 * MIN)]), [5]);
    });

    it('counts a redelivered member once', async () => {
      const s = await store();
      const key = uniqueName('w');
      assert.deepEqual(await s.execute([count(key, 'e1', T0), count(key, 'e2', T0 + 1)]), [1, 2]);
      // Again: both already in the window that ends at e2; nothing is counted twice.
      assert.deepEqual(await s.execute([count(key, 'e1', T0), count(key, 'e2', T0 + 1)]), [2, 2]);
    });

    it('counts a redelivered member once among many logged in the same second', async () => {
      const s = await store();
      const key = uniqueName('w');
      // An access log's second resolution: forty requests at one time, then a batch redelivered.
      const first = Array.from({ length: 40 }, (_, i) => count(key, `e${i}`, T0));
      assert.equal((await s.execute(first)).at(-1), 40);
      const again = [count(key, 'e3', T0), count(key, 'e39', T0), count(key, 'e40', T0), count(key, 'e0', T0)];
      assert.deepEqual(await s.execute(again), [40, 40, 41, 41]);
      // A later second starts a new run; the earlier one still counts, and still once each.
      assert.deepEqual(await s.execute([count(key, 'f0', T0 + 1_000), count(key, 'e5', T0), count(key, 'f0', T0 + 1_000)]), [42, 42, 42]);
    });

    it('counts a late event into the window that ends at the newest event', async () => {
      const s = await store();
      const key = uniqueName('w');
      await s.execute([count(key, 'e1', T0), count(key, 'e2', T0 + 4 * MIN)]);
      // The window ends at e2 (T0+4m) and holds e1, the late event (T0+1m) and e2.
      assert.deepEqual(await s.execute([count(key, 'late', T0 + MIN)]), [3]);
      // Older than the newest event's window: counted nowhere, the window's answer stands.
      assert.deepEqual(await s.execute([count(key, 'very-late', T0 - 2 * MIN)]), [3]);
    });

    it('counts events within one window to the same total whatever order they arrive in', async () => {
      const s = await store();
      const key = uniqueName('w');
      const reversed = Array.from({ length: 20 }, (_, i) => count(key, `e${i}`, T0 + (19 - i) * 10_000));
      const results = await s.execute(reversed);
      assert.equal(results.at(-1), 20);
    });

    it('counts a late event into a long window on a key a short window has just trimmed, within one batch', async () => {
      const s = await store();
      for (const op of [count, distinct]) {
        const key = uniqueName('w');
        // The 2-minute window keeps 4 minutes behind T0+12m: e1 goes. The 15-minute window's late
        // event at T0+7m is older than that, but its own retention keeps it, and its window holds it.
        const answers = await s.execute([op(key, 'e1', T0), op(key, 'e2', T0 + 12 * MIN, 2 * MIN), op(key, 'e3', T0 + 7 * MIN, 15 * MIN)]);
        assert.deepEqual(answers, [1, 1, 2], op.name);
      }
    });

    it('counts times with a fraction of a millisecond exactly, up to the window\'s edge', async () => {
      const s = await store();
      const key = uniqueName('w');
      // The window ending at e2 starts at e1's very time; the late e3 asks for the same window.
      const answers = await s.execute([count(key, 'e1', T0 + 0.75), count(key, 'e2', T0 + 5 * MIN + 0.75), count(key, 'e3', T0 + MIN)]);
      assert.deepEqual(answers, [1, 2, 3]);
    });

    it('counts without adding when given no member, and counts 0 for an absent key', async () => {
      const s = await store();
      const key = uniqueName('w');
      const peek = (k: string, at: number) => ({ kind: 'window.count', key: k, at, windowMs: 5 * MIN }) as const;
      assert.deepEqual(await s.execute([peek(key, T0), count(key, 'e1', T0), count(key, 'e2', T0 + MIN), peek(key, T0 + 2 * MIN)]), [0, 1, 2, 2]);
      // Seven minutes in the window ends at the peek's time and e1, e2 have left it; the next event still finds both kept.
      assert.deepEqual(await s.execute([peek(key, T0 + 7 * MIN), count(key, 'e3', T0 + 3 * MIN)]), [0, 3]);
    });

    it('counts distinct members, each once, at the latest time it was seen', async () => {
      const s = await store();
      const key = uniqueName('d');
      const results = await s.execute([
        distinct(key, 'alice', T0),
        distinct(key, 'bob', T0 + MIN),
        distinct(key, 'alice', T0 + 2 * MIN),
        distinct(key, 'carol', T0 + 3 * MIN),
      ]);
      assert.deepEqual(results, [1, 2, 2, 3]);
      // At T0+6.5m bob (T0+1m) is outside; alice was seen again at T0+2m and stays in.
      assert.deepEqual(await s.execute([distinct(key, 'dave', T0 + 6.5 * MIN)]), [3]);
    });

    it('keeps keys apart', async () => {
      const s = await store();
      const [a, b] = [uniqueName('a'), uniqueName('b')];
      assert.deepEqual(await s.execute([count(a, 'e1', T0), count(b, 'e1', T0), count(a, 'e2', T0)]), [1, 1, 2]);
    });

    it('keeps the subjects of one key apart, and the key without a subject apart from all of them, the empty one too', async () => {
      const s = await store();
      const key = uniqueName('bf:ip');
      const about = (of: string | undefined, member: string) => ({ ...count(key, member, T0), ...(of === undefined ? {} : { of }) });
      const answers = await s.execute([about('203.0.113.7', 'e1'), about('198.51.100.2', 'e1'), about('203.0.113.7', 'e2'), about(undefined, 'e1'), about('', 'e2')]);
      // An event with an empty user is about that (odd) user, not about everyone: `key:` in Redis, not `key`.
      assert.deepEqual(answers, [1, 1, 2, 1, 1]);
    });

    it('merges fields into a record and answers the whole record', async () => {
      const s = await store();
      const key = uniqueName('r');
      const [first] = await s.execute([{ kind: 'record.merge', key, fields: { brute_force: '1' }, retainMs: 60 * MIN }]);
      assert.deepEqual(first, { brute_force: '1' });
      const [second] = await s.execute([{ kind: 'record.merge', key, fields: { password_spray: '2', brute_force: '3' }, retainMs: 60 * MIN }]);
      assert.deepEqual(second, { brute_force: '3', password_spray: '2' });
    });

    it('answers a record as it was before the merge when asked, and empty for a new key', async () => {
      const s = await store();
      const key = uniqueName('r');
      const swap = (fields: Record<string, string>) => ({ kind: 'record.merge', key, fields, retainMs: 60 * MIN, answer: 'before' }) as const;
      assert.deepEqual(await s.execute([swap({ ip: '203.0.113.7', at: '1' })]), [{}]);
      assert.deepEqual(await s.execute([swap({ ip: '198.51.100.4' })]), [{ ip: '203.0.113.7', at: '1' }]);
      assert.deepEqual(await s.execute([{ kind: 'record.merge', key, fields: {}, retainMs: 60 * MIN }]), [{ ip: '198.51.100.4', at: '1' }]);
    });

    it('adds to a set, answering whether the member was known and the size before', async () => {
      const s = await store();
      const key = uniqueName('s');
      const add = (member: string, at: number) => ({ kind: 'set.add', key, member, at, maxMembers: 10, retainMs: 60 * MIN }) as const;
      assert.deepEqual(await s.execute([add('DE', T0), add('DE', T0 + MIN), add('FR', T0 + 2 * MIN)]), [
        { known: false, size: 0 },
        { known: true, size: 1 },
        { known: false, size: 1 },
      ]);
      assert.deepEqual(await s.execute([add('FR', T0 + 3 * MIN)]), [{ known: true, size: 2 }]);
    });

    it('keeps a set to its cap, forgetting the least recently seen member first', async () => {
      const s = await store();
      const key = uniqueName('s');
      const add = (member: string, at: number) => ({ kind: 'set.add', key, member, at, maxMembers: 2, retainMs: 60 * MIN }) as const;
      // a is seen again after b, so b is the least recently seen when c arrives.
      await s.execute([add('a', T0), add('b', T0 + MIN), add('a', T0 + 2 * MIN), add('c', T0 + 3 * MIN)]);
      assert.deepEqual(await s.execute([add('a', T0 + 4 * MIN)]), [{ known: true, size: 2 }]);
      assert.deepEqual(await s.execute([add('b', T0 + 5 * MIN)]), [{ known: false, size: 2 }]);
    });

    it('keeps a large set to its cap and a large table counting, as it does a small one', async () => {
      const s = await store();
      const key = uniqueName('s');
      const add = (member: string, at: number) => ({ kind: 'set.add', key, member, at, maxMembers: 30, retainMs: 60 * MIN }) as const;
      const members = Array.from({ length: 30 }, (_, i) => `m${i}`);
      await s.execute(members.map((m, i) => add(m, T0 + i)));
      // m0 is seen again, so the five that arrive next push out m1..m5, not m0.
      await s.execute([add('m0', T0 + 100), ...['x1', 'x2', 'x3', 'x4', 'x5'].map((m, i) => add(m, T0 + 101 + i))]);
      assert.deepEqual(await s.execute([add('m0', T0 + 200), add('m6', T0 + 201), add('m1', T0 + 202)]), [
        { known: true, size: 30 },
        { known: true, size: 30 },
        { known: false, size: 30 },
      ]);
      const table = uniqueName('c');
      const count = (fields: string[], at: number) => ({ kind: 'counter.add', key: table, fields, at, maxFields: 100, retainMs: 60 * MIN }) as const;
      await s.execute(Array.from({ length: 40 }, (_, i) => count(['n', `f${i}`], T0 + i)));
      assert.deepEqual(await s.execute([count(['n', 'f0', 'f39', 'f40'], T0 + 50)]), [[41, 2, 2, 1]]);
    });

    it('reads a record as the last merge left it, and an absent one as empty', async () => {
      const s = await store();
      const key = uniqueName('r');
      await s.execute([{ kind: 'record.merge', key, fields: { brute_force: '1' }, retainMs: 60 * MIN }]);
      assert.deepEqual(await s.execute([{ kind: 'record.read', key }, { kind: 'record.read', key: uniqueName('absent') }]), [{ brute_force: '1' }, {}]);
    });

    it('counts fields up, answering their new values in order', async () => {
      const s = await store();
      const key = uniqueName('c');
      const add = (fields: string[], at: number) => ({ kind: 'counter.add', key, fields, at, maxFields: 10, retainMs: 60 * MIN }) as const;
      assert.deepEqual(await s.execute([add(['n', 'cc:DE', 'asn:3320'], T0), add(['n', 'cc:DE', 'asn:6805'], T0 + MIN)]), [
        [1, 1, 1],
        [2, 2, 1],
      ]);
      // A field listed twice gains two.
      assert.deepEqual(await s.execute([add(['n', 'cc:FR', 'cc:FR'], T0 + 2 * MIN)]), [[3, 1, 2]]);
    });

    it('keeps counters to their cap, forgetting the least recently counted field first', async () => {
      const s = await store();
      const key = uniqueName('c');
      const add = (fields: string[], at: number) => ({ kind: 'counter.add', key, fields, at, maxFields: 3, retainMs: 60 * MIN }) as const;
      // The total is counted every time, so it is never the one forgotten; DE was counted after FR.
      await s.execute([add(['n', 'cc:FR'], T0), add(['n', 'cc:DE'], T0 + MIN), add(['n', 'cc:US'], T0 + 2 * MIN)]);
      assert.deepEqual(await s.execute([add(['n', 'cc:DE', 'cc:FR'], T0 + 3 * MIN)]), [[4, 2, 1]]);
    });

    it('keeps the counters of a subject apart from those of a subject whose name extends it', async () => {
      const s = await store();
      const key = uniqueName('lr:user');
      // Subjects are what events say (a user id): nothing a store keeps beside a subject's state may share a name with another subject's.
      const add = (of: string, at: number) => ({ kind: 'counter.add', key, of, fields: ['n', 'cc:DE'], at, maxFields: 4, retainMs: 60 * MIN }) as const;
      assert.deepEqual(await s.execute([add('alice', T0), add('alice:at', T0 + 1), add('alice', T0 + 2)]), [
        [1, 1],
        [1, 1],
        [2, 2],
      ]);
      assert.deepEqual(await s.execute([add('alice:at', T0 + 3)]), [[2, 2]]);
    });

    it('keeps counters and the other kinds of state apart under different keys', async () => {
      const s = await store();
      const key = uniqueName('k');
      const results = await s.execute([
        { kind: 'counter.add', key: `${key}:c`, fields: ['n'], at: T0, maxFields: 2, retainMs: MIN },
        count(`${key}:w`, 'n', T0),
        { kind: 'counter.add', key: `${key}:c`, fields: ['n'], at: T0 + 1, maxFields: 2, retainMs: MIN },
      ]);
      assert.deepEqual(results, [[1], 1, [2]]);
    });

    it('answers one result per operation, in order, for a mixed batch', async () => {
      const s = await store();
      const key = uniqueName('m');
      const results = await s.execute([
        count(`${key}:c`, 'e1', T0),
        distinct(`${key}:d`, 'alice', T0),
        { kind: 'record.merge', key: `${key}:r`, fields: { f: 'v' }, retainMs: MIN },
        count(`${key}:c`, 'e2', T0 + 1),
      ]);
      assert.deepEqual(results, [1, 1, { f: 'v' }, 2]);
    });

    it('answers an empty batch with no results', async () => {
      const s = await store();
      assert.deepEqual(await s.execute([]), []);
    });
  });
}
