import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detached, MAX_STREAM_MEMORY_KEY, StreamMemory } from './stream-memory';
import { retainedBy } from '@ratchet/testing';

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

  it('reads a retried batch with the same evictions as the first time: the oldest entry before it is still the oldest', () => {
    const memory = new StreamMemory(2);
    memory.set('a', entry(1));
    memory.set('b', entry(2));
    memory.checkpoint();
    memory.set('c', entry(3));
    memory.rollback();
    memory.set('c', entry(3));
    assert.deepEqual([memory.get('a'), memory.get('b'), memory.get('c')], [undefined, entry(2), entry(3)], 'a was written longest ago, as the first time');
  });

  it('keeps at most its capacity to roll back to, however many keys a huge batch writes', () => {
    const { value: memory, bytes } = retainedBy(() => {
      const kept = new StreamMemory(16);
      kept.checkpoint();
      for (let n = 0; n < 100_000; n++) kept.set(`sshd\nbastion-1\n${100_000 + n}`, entry(n));
      return kept;
    });
    assert.equal(memory.size, 16);
    assert.ok(bytes < 1_000_000, `a batch of 100,000 connections left ${bytes} bytes to roll back to`);
  });

  // A connection's key is cut from its first line and again from each later one.
  for (const writes of [1, 2]) {
    it(`keeps no part of a long record its keys were cut from, each key written ${writes === 1 ? 'once' : 'again'}`, () => {
      const { value: memory, bytes } = retainedBy(() => {
        const kept = new StreamMemory();
        for (let write = 0; write < writes; write++) {
          for (let n = 0; n < 16; n++) {
            const line = `Mar  2 08:10:0${write} bastion-1 sshd[${7100 + n}]: Failed publickey for deploy from 192.0.2.44 port 60100 ssh2: RSA ${'A'.repeat(500_000)}`;
            kept.set(line.slice(16, 40), entry(n));
          }
        }
        return kept;
      });
      assert.equal(memory.size, 16);
      assert.ok(bytes < 1_000_000, `16 keys kept ${bytes} bytes alive`);
    });
  }

  it('keeps no key longer than a parser needs', () => {
    const memory = new StreamMemory();
    memory.set(`sshd\n${'h'.repeat(MAX_STREAM_MEMORY_KEY)}\n1`, entry(1));
    assert.equal(memory.size, 0);
  });

  it('copies a string without what it was cut from, keeping every code unit', () => {
    const line = `user \ud800x\u00e9 ${'z'.repeat(100)}`;
    assert.equal(detached(line.slice(5, 20)), line.slice(5, 20));
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
