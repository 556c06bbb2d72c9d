import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RepeatedIds } from './repeated-ids';

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

  it('starts again after clear', () => {
    const ids = new RepeatedIds();
    ids.number('sshd:a', FAILED);
    ids.clear();
    assert.equal(ids.number('sshd:a', FAILED), 'sshd:a');
  });
});
