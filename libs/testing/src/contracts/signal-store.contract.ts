import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { RiskSignal } from '@ratchet/contracts';
import type { EntityRef } from '@ratchet/kernel';
import { DEFAULT_SIGNAL_RETENTION, type SignalQuery, type SignalRetention, type SignalStore } from '@ratchet/risk';

/** A store of its own (a fresh instance, or a fresh key prefix), with the given retention. */
export type SignalStoreFactory = (retention: SignalRetention) => Promise<SignalStore>;

const MIN = 60_000;
const T0 = Date.parse('2026-11-24T10:00:00Z');

/** A brute-force signal as the scorer publishes it; override any field. */
export function riskSignal(overrides: Partial<RiskSignal> & { entity: EntityRef; eventId: string }): RiskSignal {
  const { eventId, ...rest } = overrides;
  const detector = rest.detector ?? 'auth.brute-force';
  return {
    v: 1,
    id: `${detector}|${rest.entity}|${eventId}`,
    type: 'brute_force',
    detector,
    severity: 0.9,
    confidence: 0.5,
    at: T0,
    evidence: { count: 20, threshold: 20, window: '5m' },
    eventIds: [eventId],
    ...rest,
  };
}

/** The behaviour every SignalStore adapter must have: memory in the embedded shape, Redis for real. */
export function describeSignalStoreContract(adapter: string, open: SignalStoreFactory): void {
  describe(`SignalStore contract: ${adapter}`, () => {
    const stores: SignalStore[] = [];
    const store = async (retention: Partial<SignalRetention> = {}): Promise<SignalStore> => {
      const s = await open({ ...DEFAULT_SIGNAL_RETENTION, ...retention });
      stores.push(s);
      return s;
    };
    after(async () => Promise.all(stores.map((s) => s.close())));
    const ids = async (s: SignalStore, query: Partial<SignalQuery> = {}): Promise<string[]> =>
      (await s.query({ limit: 1_000, ...query })).signals.map((signal) => signal.eventIds[0] as string);

    it('lists signals newest first, by event time and then id, whatever order they were appended in', async () => {
      const s = await store();
      await s.append([
        riskSignal({ entity: 'ip:203.0.113.1', eventId: 'b', at: T0 + MIN }),
        riskSignal({ entity: 'ip:203.0.113.2', eventId: 'c', at: T0 + 2 * MIN }),
      ]);
      await s.append([riskSignal({ entity: 'ip:203.0.113.3', eventId: 'a', at: T0 }), riskSignal({ entity: 'ip:203.0.113.4', eventId: 'd', at: T0 + MIN })]);
      // b and d share a time: ip:203.0.113.4's id sorts after ip:203.0.113.1's, so it comes first.
      assert.deepEqual(await ids(s), ['c', 'd', 'b', 'a']);
    });

    it('keeps a signal appended twice once, as it was first appended', async () => {
      const s = await store();
      const signal = riskSignal({ entity: 'ip:203.0.113.5', eventId: 'e1' });
      await s.append([signal, signal]);
      await s.append([{ ...signal, evidence: { count: 21, threshold: 20, window: '5m' } }]);
      const { signals } = await s.query({ limit: 10 });
      assert.deepEqual(signals, [signal]);
    });

    it('keeps the whole signal: evidence, event ids, severity and confidence', async () => {
      const s = await store();
      const signal = riskSignal({
        entity: 'ip:2001:db8::7',
        eventId: 'e1',
        type: 'blocklisted_address',
        detector: 'intel.blocklisted-address',
        evidence: { feed: 'ipsum.txt', indicator: '2001:db8::/32', confidence: 0.375, labels: '' },
        eventIds: ['e1', 'e0'],
      });
      await s.append([signal]);
      assert.deepEqual((await s.query({ entity: 'ip:2001:db8::7', limit: 1 })).signals, [signal]);
    });

    it('filters by entity, type and detector', async () => {
      const s = await store();
      await s.append([
        riskSignal({ entity: 'ip:203.0.113.10', eventId: 'bf-10' }),
        riskSignal({ entity: 'ip:203.0.113.10', eventId: 'ps-10', type: 'password_spray', detector: 'auth.password-spray', at: T0 + 1 }),
        riskSignal({ entity: 'ip:203.0.113.11', eventId: 'bf-11', at: T0 + 2 }),
      ]);
      assert.deepEqual(await ids(s, { entity: 'ip:203.0.113.10' }), ['ps-10', 'bf-10']);
      assert.deepEqual(await ids(s, { type: 'brute_force' }), ['bf-11', 'bf-10']);
      assert.deepEqual(await ids(s, { detector: 'auth.password-spray' }), ['ps-10']);
      assert.deepEqual(await ids(s, { entity: 'ip:203.0.113.10', type: 'brute_force' }), ['bf-10']);
      assert.deepEqual(await ids(s, { entity: 'user:nobody@example.com' }), []);
    });

    it('filters by event time: since inclusive, until exclusive', async () => {
      const s = await store();
      await s.append([0, 1, 2, 3].map((m) => riskSignal({ entity: 'ip:203.0.113.20', eventId: `m${m}`, at: T0 + m * MIN })));
      assert.deepEqual(await ids(s, { since: T0 + MIN, until: T0 + 3 * MIN }), ['m2', 'm1']);
      assert.deepEqual(await ids(s, { entity: 'ip:203.0.113.20', since: T0 + 3 * MIN }), ['m3']);
      assert.deepEqual(await ids(s, { until: T0 }), []);
    });

    it('pages through every match once, ties included, and says when no page follows', async () => {
      const s = await store();
      // Twelve signals in four ties of three: a page boundary falls inside a tie.
      const all = Array.from({ length: 12 }, (_, i) => riskSignal({ entity: `ip:203.0.113.${30 + i}`, eventId: `p${i}`, at: T0 + Math.floor(i / 3) * MIN }));
      await s.append(all);
      for (const entity of [undefined, 'ip:203.0.113.31'] as const) {
        const expected = await ids(s, entity === undefined ? {} : { entity });
        const seen: string[] = [];
        let page = await s.query({ limit: 5, ...(entity === undefined ? {} : { entity }) });
        for (;;) {
          seen.push(...page.signals.map((signal) => signal.eventIds[0] as string));
          if (!page.next) break;
          page = await s.query({ limit: 5, after: page.next, ...(entity === undefined ? {} : { entity }) });
        }
        assert.deepEqual(seen, expected);
      }
      assert.equal((await ids(s)).length, 12);
      const exact = await s.query({ limit: 12 });
      assert.equal(exact.signals.length, 12);
      assert.equal(exact.next, undefined);
    });

    it("forgets an entity's oldest signals beyond its cap, and only that entity's", async () => {
      const s = await store({ perEntity: 3 });
      await s.append([0, 1, 2, 3, 4].map((m) => riskSignal({ entity: 'ip:203.0.113.40', eventId: `busy-${m}`, at: T0 + m * MIN })));
      await s.append([riskSignal({ entity: 'ip:203.0.113.41', eventId: 'quiet-0', at: T0 })]);
      assert.deepEqual(await ids(s, { entity: 'ip:203.0.113.40' }), ['busy-4', 'busy-3', 'busy-2']);
      assert.deepEqual(await ids(s), ['busy-4', 'busy-3', 'busy-2', 'quiet-0']);
    });

    it('forgets the oldest signals beyond the total, from the entity listings too', async () => {
      const s = await store({ total: 4 });
      await s.append([0, 1, 2, 3, 4, 5].map((m) => riskSignal({ entity: `ip:203.0.113.${50 + (m % 2)}`, eventId: `t${m}`, at: T0 + m * MIN })));
      assert.deepEqual(await ids(s), ['t5', 't4', 't3', 't2']);
      assert.deepEqual(await ids(s, { entity: 'ip:203.0.113.50' }), ['t4', 't2']);
      // A signal older than all the kept ones is forgotten at once.
      await s.append([riskSignal({ entity: 'ip:203.0.113.52', eventId: 'ancient', at: T0 - MIN })]);
      assert.deepEqual(await ids(s, { entity: 'ip:203.0.113.52' }), []);
    });

    it('forgets signals older than the age limit behind the newest, in event time', async () => {
      const s = await store({ maxAgeMs: 10 * MIN });
      await s.append([riskSignal({ entity: 'ip:203.0.113.60', eventId: 'old', at: T0 }), riskSignal({ entity: 'ip:203.0.113.60', eventId: 'edge', at: T0 + 5 * MIN })]);
      assert.deepEqual(await ids(s), ['edge', 'old']);
      await s.append([riskSignal({ entity: 'ip:203.0.113.61', eventId: 'new', at: T0 + 15 * MIN })]);
      assert.deepEqual(await ids(s), ['new', 'edge']);
      assert.deepEqual(await ids(s, { entity: 'ip:203.0.113.60' }), ['edge']);
    });

    it('answers an empty page from an empty store and accepts an empty append', async () => {
      const s = await store();
      await s.append([]);
      assert.deepEqual(await s.query({ limit: 10 }), { signals: [] });
    });
  });
}
