import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Clock } from '@ratchet/kernel';

/**
 * What every Clock must do: answer epoch milliseconds as whole numbers that never go backwards.
 * `advance` moves the clock under test forward by at least `ms` (a manual clock exactly, the
 * system clock by waiting).
 */
export function describeClockContract(name: string, clock: Clock, advance: (ms: number) => Promise<void>): void {
  describe(`Clock contract: ${name}`, () => {
    it('answers whole epoch milliseconds', () => {
      const now = clock.now();
      assert.ok(Number.isInteger(now));
      assert.ok(now >= 0);
    });

    it('never goes backwards', async () => {
      const readings: number[] = [];
      for (let i = 0; i < 5; i++) {
        readings.push(clock.now());
        await advance(1);
      }
      assert.deepEqual(readings, [...readings].sort((a, b) => a - b));
      assert.ok(clock.now() >= (readings.at(-1) as number) + 1);
    });
  });
}
