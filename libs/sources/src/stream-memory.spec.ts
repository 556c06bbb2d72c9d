import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StreamMemory } from './stream-memory';

const entry = (n: number): { n: number } => ({ n });

describe('StreamMemory', () => {
  it('keeps at most its capacity, forgetting the entry written longest ago', () => {
    const memory = new StreamMemory(2);
    memory.set('a', entry(1));
    memory.set('b', entry(2));
    memory.set('a', entry(3));
    memory.set('c', entry(4));
    assert.equal(memory.size, 2);
    assert.equal(memory.get('b'), undefined, 'b was written longest ago once a was written again');
    assert.deepEqual([memory.get('a'), memory.get('c')], [entry(3), entry(4)]);
  });

  it('reads a retried batch against the memory as it was before it, evictions included', () => {
    const memory = new StreamMemory(2);
    memory.set('a', entry(1));
    memory.set('b', entry(2));
    memory.checkpoint();
    memory.set('a', entry(3));
    memory.delete('b');
    memory.set('c', entry(4));
    memory.set('d', entry(5));
    memory.rollback();
    assert.equal(memory.size, 2);
    assert.deepEqual([memory.get('a'), memory.get('b'), memory.get('c'), memory.get('d')], [entry(1), entry(2), undefined, undefined]);
  });

  it('keeps what a checkpoint confirmed when a later batch is rolled back', () => {
    const memory = new StreamMemory();
    memory.checkpoint();
    memory.set('a', entry(1));
    memory.checkpoint();
    memory.set('a', entry(2));
    memory.rollback();
    assert.deepEqual(memory.get('a'), entry(1));
  });

  it('refuses a capacity that is not a whole number of at least one entry, naming it', () => {
    for (const capacity of [0, -1, 1.5, Number.NaN]) assert.throws(() => new StreamMemory(capacity), /^RangeError: capacity: must be a whole number of entries, at least 1/);
  });
});
