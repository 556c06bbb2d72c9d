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
 * seen again, busy seconds and reads at later times.
 */
describe('memory windows against a plain recount', () => {
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
          const member = again?.member ?? (kind === 'window.distinct' ? `p${Math.floor(random() * members)}` : `e${step}`);
          const at = again?.at ?? clock - late;
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
