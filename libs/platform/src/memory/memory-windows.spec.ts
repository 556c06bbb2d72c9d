import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WindowCountOp, WindowDistinctOp } from '@ratchet/detection';
import { ManualClock } from '@ratchet/kernel';
import { seededRandom } from '@ratchet/testing';
import { MemoryStateStore } from './memory-state-store';

const T0 = Date.parse('2026-11-25T08:00:00Z');
const WINDOW_MS = 60_000;

/**
 * The memory windows keep their counts incrementally (distinct windows leave stale sightings in
 * place, counting windows keep the members of a busy second in a set): here they are held to a
 * plain recount of everything seen, over traffic with out-of-order events, redeliveries, members
 * seen again (the newest among them too), busy seconds and reads at later times.
 */
describe('memory windows against a plain recount', () => {
  it('counts the newest member seen again after a read had moved past it', async () => {
    // A failure reads an address's successes (none in the window), then a success arrives.
    const store = new MemoryStateStore(new ManualClock(0));
    const at = (ms: number, member?: string): WindowCountOp | WindowDistinctOp =>
      member === undefined ? { kind: 'window.count', key: 'ok', of: 'x', at: T0 + ms, windowMs: 50 } : { kind: 'window.distinct', key: 'ok', of: 'x', member, at: T0 + ms, windowMs: 50 };
    assert.deepEqual(await store.execute([at(942, 'ok'), at(1_000), at(1_000, 'ok'), at(1_000)]), [1, 0, 1, 1]);
  });


  // A distinct window of a few members stays in arrays; one of many keeps a Map.
  const cases = [
    { kind: 'window.distinct', members: 150 },
    { kind: 'window.distinct', members: 4 },
    { kind: 'window.count', members: 0 },
  ] as const;
  for (const { kind, members } of cases) {
    it(`${kind}${members > 0 ? ` over ${members} members` : ''} answers what recounting every sighting answers`, async () => {
      const random = seededRandom(kind === 'window.distinct' ? 7 + members : 11);
      const store = new MemoryStateStore(new ManualClock(0));
      const latest = new Map<string, number>();
      let end = Number.NEGATIVE_INFINITY;
      let clock = T0;
      let sent: Array<{ member: string; at: number }> = [];
      for (let step = 0; step < 4_000; step++) {
        // Time advances by whole seconds (an access log's resolution), ~30 sightings a second,
        // and sometimes jumps past the window.
        if (random() < 0.03) clock += random() < 0.05 ? 3 * WINDOW_MS : 1_000;
        const roll = random();
        let op: WindowCountOp | WindowDistinctOp;
        if (roll < 0.08) {
          op = { kind: 'window.count', key: 'w', of: 'x', at: clock + Math.floor(random() * 2) * WINDOW_MS, windowMs: WINDOW_MS };
        } else {
          const late = random() < 0.15 ? Math.floor(random() * 1.5 * WINDOW_MS) : 0;
          // Redeliveries: half of them of the last few sightings, often of this very second.
          const pool = random() < 0.5 ? sent.slice(-40) : sent;
          const again = pool.length > 0 && random() < 0.2 ? pool[Math.floor(random() * pool.length)] : undefined;
          // The newest member seen again now, as an address's successful logins are, one after another.
          const newest = again === undefined && random() < 0.1 ? sent.at(-1) : undefined;
          const member = again?.member ?? newest?.member ?? (kind === 'window.distinct' ? `p${Math.floor(random() * members)}` : `e${step}`);
          const at = again?.at ?? (newest === undefined ? clock - late : clock);
          op = { kind, key: 'w', of: 'x', member, at, windowMs: WINDOW_MS };
          sent.push({ member, at });
          if (sent.length > 500) sent = sent.slice(-250);
          const key = kind === 'window.distinct' ? member : `${member}@${at}`;
          latest.set(key, Math.max(latest.get(key) ?? Number.NEGATIVE_INFINITY, at));
          end = Math.max(end, at);
        }
        const until = Math.max(op.at, end);
        let expected = 0;
        for (const at of latest.values()) if (at >= until - WINDOW_MS && at <= until) expected++;
        const [answer] = await store.execute([op]);
        assert.equal(answer, expected, `step ${step}: ${JSON.stringify(op)}`);
      }
    });
  }
});
