import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { itAnswersEveryJsonFixture } from '../testing/json-fixture-cases';
import { oktaParser } from './okta.parser';

describe('okta parser', () => {
  itAnswersEveryJsonFixture(oktaParser, join(__dirname, 'fixtures'));

  it('never throws, whatever JSON value it is given', () => {
    const odd: unknown[] = [null, 0, 'user.session.start', true, [], {}, { eventType: 7 }, { eventType: 'user.session.start', published: 1 },
      { eventType: 'user.session.start', published: '2026-03-02T08:14:07Z', outcome: 'SUCCESS', actor: [], client: 'x', target: {}, debugContext: 5 },
      { eventType: 'user.session.start', published: '2026-03-02T08:14:07Z', outcome: { result: 'SUCCESS' }, securityContext: { isProxy: 'yes', asNumber: -4 },
        client: { geographicalContext: { country: 7, geolocation: 'x' } }, debugContext: { debugData: { risk: 7, logOnlySecurityData: '{"risk":' } } }];
    for (const value of odd) assert.doesNotThrow(() => oktaParser.parse(value), JSON.stringify(value));
  });

  it('describes itself as the json-framed okta source', () => {
    assert.equal(oktaParser.id, 'okta');
    assert.equal(oktaParser.framing, 'json');
  });
});
