import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { itAnswersEveryJsonFixture } from '../testing/json-fixture-cases';
import { ocsfParser } from './ocsf.parser';

describe('ocsf parser', () => {
  itAnswersEveryJsonFixture(ocsfParser, join(__dirname, 'fixtures'));

  it('never throws, whatever JSON value it is given', () => {
    const odd: unknown[] = [null, 0, '3002', true, [], {}, { class_uid: '3002' }, { class_uid: 3002, activity_id: 1, status_id: 1, time: 1e20 },
      { class_uid: 3002, activity_id: 1, status_id: 2, time: 1772440447000, user: 'x', src_endpoint: { location: 'x', autonomous_system: { number: -1 } }, http_request: [], metadata: 5 }];
    for (const value of odd) assert.doesNotThrow(() => ocsfParser.parse(value), JSON.stringify(value));
  });

  it('counts a Kerberos ticket request and a renewal as what they are: a login and a token', () => {
    const base = { class_uid: 3002, status_id: 2, time: 1772440447000, user: { name: 'bob' } };
    const actionOf = (activity_id: number): unknown => {
      const result = ocsfParser.parse({ ...base, activity_id });
      return result.ok ? result.events[0]?.action : result.reason;
    };
    assert.deepEqual([3, 4, 5, 7].map(actionOf), ['login', 'token', 'token', 'login']);
  });
});
