import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { errorCode } from './app-error';

/** What `fn` throws. */
function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  assert.fail('expected a throw');
}

describe('errorCode', () => {
  it('names a failed system call by its errno code, and any other error by its message', () => {
    assert.equal(errorCode(caught(() => readFileSync('/nonexistent/ratchet/sources.json'))), 'ENOENT');
    const unparsable = caught(() => JSON.parse('{"version": 1'));
    assert.ok(unparsable instanceof SyntaxError);
    assert.equal(errorCode(unparsable), unparsable.message, 'a package.json that is not JSON: the message, not "SyntaxError: …"');
    assert.equal(errorCode('socket closed'), 'socket closed');
  });
});
