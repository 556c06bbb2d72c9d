import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock, systemClock, type Clock } from './clock';

describe('ManualClock', () => {
  it('starts at the epoch unless told otherwise', () => {
    assert.equal(new ManualClock().now(), 0);
    assert.equal(new ManualClock(1_795_514_400_000).now(), 1_795_514_400_000);
  });

  it('stands still until it is moved', () => {
    const clock = new ManualClock(1_000);
    assert.equal(clock.now(), 1_000);
    assert.equal(clock.now(), 1_000);
  });

  it('moves forward by what advance is given', () => {
    const clock = new ManualClock(1_000);
    clock.advance(15 * 60_000);
    clock.advance(1);
    assert.equal(clock.now(), 1_000 + 15 * 60_000 + 1);
  });

  it('jumps to what set is given, backwards too, as a replay does', () => {
    const clock = new ManualClock(5_000);
    clock.set(2_000);
    assert.equal(clock.now(), 2_000);
  });

  it('stands in wherever a Clock is expected', () => {
    const clocks: Clock[] = [new ManualClock(42), systemClock];
    assert.equal(clocks[0]?.now(), 42);
  });
});

describe('systemClock', () => {
  it('reads the wall clock', () => {
    const before = Date.now();
    const now = systemClock.now();
    assert.ok(now >= before && now <= Date.now(), `${now} is not between ${before} and now`);
  });
});
