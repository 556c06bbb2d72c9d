import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { itAnswersEveryJsonFixture } from '../testing/json-fixture-cases';
import { auth0Parser } from './auth0.parser';

describe('auth0 parser', () => {
  itAnswersEveryJsonFixture(auth0Parser, join(__dirname, 'fixtures'));

  it('never throws, whatever JSON value it is given', () => {
    const odd: unknown[] = [null, 0, 's', true, [], {}, { type: 7 }, { data: [] }, { type: 's', date: 1 }, { data: { type: 's', date: '2026-03-02T08:14:07Z', ip: 42 } },
      { type: 'sapi', date: '2026-03-02T08:14:07Z', ip: '::1', details: { request: 'x' }, user_name: ['a'] }];
    for (const value of odd) assert.doesNotThrow(() => auth0Parser.parse(value), JSON.stringify(value));
  });

  it('describes itself as the json-framed auth0 source', () => {
    assert.equal(auth0Parser.id, 'auth0');
    assert.equal(auth0Parser.framing, 'json');
  });
});
