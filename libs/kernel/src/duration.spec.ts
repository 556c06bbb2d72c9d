import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from './app-error';
import { formatDuration, InvalidDuration, parseDuration } from './duration';

describe('parseDuration', () => {
  it('reads every unit an operator may write', () => {
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('5m'), 300_000);
    assert.equal(parseDuration('1h'), 3_600_000);
    assert.equal(parseDuration('7d'), 604_800_000);
  });

  it('reads fractions and rounds to whole milliseconds', () => {
    assert.equal(parseDuration('1.5m'), 90_000);
    assert.equal(parseDuration('0.5s'), 500);
    assert.equal(parseDuration('2.5ms'), 3);
  });

  it('ignores surrounding whitespace', () => {
    assert.equal(parseDuration('  15m\n'), 900_000);
  });

  it('takes a number as milliseconds', () => {
    assert.equal(parseDuration(900_000), 900_000);
    assert.equal(parseDuration(0), 0);
  });

  for (const raw of ['5 minutes', '5', 'm', '', '-5m', '5M', '1h30m', '1e3ms', 'PT5M']) {
    it(`refuses ${JSON.stringify(raw)} with a message naming the field`, () => {
      assert.throws(
        () => parseDuration(raw, 'chains.credential-attack.ttl'),
        (err: unknown) =>
          err instanceof InvalidDuration &&
          err instanceof AppError &&
          err.code === 'KERNEL.INVALID_DURATION' &&
          !err.retryable &&
          err.message === `chains.credential-attack.ttl: "${raw}" is not a duration (use e.g. 500ms, 30s, 5m, 1h, 7d)`,
      );
    });
  }

  for (const raw of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
    it(`refuses the number ${raw} with a message naming the field`, () => {
      assert.throws(() => parseDuration(raw, 'window'), { code: 'KERNEL.INVALID_DURATION', message: new RegExp(`^window: "${raw}" is not a duration`) });
    });
  }

  it('calls the field "duration" when the caller names none', () => {
    assert.throws(() => parseDuration('soon'), { message: /^duration: "soon" is not a duration/ });
  });
});

describe('formatDuration', () => {
  it('writes milliseconds with the largest unit that divides them exactly', () => {
    assert.equal(formatDuration(900_000), '15m');
    assert.equal(formatDuration(3_600_000), '1h');
    assert.equal(formatDuration(86_400_000), '1d');
    assert.equal(formatDuration(30_000), '30s');
    assert.equal(formatDuration(90_000), '90s');
    assert.equal(formatDuration(5_400_000), '90m');
    assert.equal(formatDuration(1_500), '1500ms');
  });

  it('writes zero and sub-second durations in milliseconds', () => {
    assert.equal(formatDuration(0), '0ms');
    assert.equal(formatDuration(250), '250ms');
  });

  it('writes what parseDuration reads back to the same value', () => {
    for (const ms of [0, 1, 999, 1_000, 61_000, 300_000, 900_000, 5_400_000, 86_400_000, 90_061_001]) {
      assert.equal(parseDuration(formatDuration(ms)), ms, `round trip of ${ms}ms`);
    }
  });
});
