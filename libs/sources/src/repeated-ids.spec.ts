import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RepeatedIds } from './repeated-ids';
import { retainedBy } from '@ratchet/testing';

const FAILED = 'Nov 24 10:01:01 bastion-1 sshd[41091]: Failed keyboard-interactive/pam for bob from 198.51.100.23 port 60500 ssh2';
const PAM = 'Nov 24 10:01:01 bastion-1 sshd[41091]: error: PAM: Authentication failure for bob from 198.51.100.23';

describe('RepeatedIds', () => {
  it('numbers an id each time the same line repeats it, so a burst of identical lines counts per line', () => {
    const ids = new RepeatedIds();
    assert.deepEqual([ids.number('sshd:a', FAILED), ids.number('sshd:a', FAILED), ids.number('sshd:a', FAILED)], ['sshd:a', 'sshd:a#1', 'sshd:a#2']);
  });

  it('keeps the id that two different lines of one attempt share, so the attempt counts once', () => {
    const ids = new RepeatedIds();
    assert.deepEqual([ids.number('sshd:attempt', PAM), ids.number('sshd:attempt', FAILED)], ['sshd:attempt', 'sshd:attempt']);
  });

  it('keeps no record alive once settled, and still numbers a later repeat of one', () => {
    // A record cut from a large request body, as the collector reads a line of a body.
    const lineOf = (n: number): string => `${FAILED} ${'A'.repeat(250_000)}\n${n}`.split('\n')[0] as string;
    const { value: ids, bytes } = retainedBy(() => {
      const kept = new RepeatedIds();
      for (let n = 0; n < 16; n++) {
        const line = lineOf(n);
        kept.number(`sshd:${n}`, () => line);
        kept.number(`sshd:${n + 100}`, lineOf(n));
      }
      kept.settle();
      return kept;
    });
    assert.ok(bytes < 1_000_000, `32 ids kept ${bytes} bytes alive`);
    assert.deepEqual([ids.number('sshd:3', lineOf(3)), ids.number('sshd:103', () => lineOf(3))], ['sshd:3#1', 'sshd:103#1']);
    assert.equal(ids.number('sshd:4', FAILED), 'sshd:4', 'another line of the same id keeps it');
  });

  it('counts every record it keeps in its size, also the many different lines a client can give one attempt id', () => {
    const ids = new RepeatedIds();
    ids.checkpoint();
    // The attempt id ignores the client's port: a client can vary it on every line of one second.
    for (let port = 1000; port < 1500; port++) ids.number('sshd:attempt', `${FAILED.replace('60500', String(port))}`);
    assert.equal(ids.size, 500);
    ids.rollback();
    assert.equal(ids.size, 0, 'a rolled back batch holds nothing');
  });

  it('starts again after clear', () => {
    const ids = new RepeatedIds();
    ids.number('sshd:a', FAILED);
    ids.clear();
    assert.equal(ids.number('sshd:a', FAILED), 'sshd:a');
  });
});
