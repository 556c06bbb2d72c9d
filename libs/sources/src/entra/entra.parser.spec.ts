import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { itAnswersEveryJsonFixture } from '../testing/json-fixture-cases';
import { entraParser } from './entra.parser';

describe('entra parser', () => {
  itAnswersEveryJsonFixture(entraParser, join(__dirname, 'fixtures'));

  it('never throws, whatever JSON value it is given', () => {
    const odd: unknown[] = [null, 0, 'Sign-in activity', true, [], {}, { createdDateTime: 7 }, { createdDateTime: '2026-03-02T08:00:00Z', status: 'ok' },
      { category: 'SignInLogs', properties: {}, time: 5 },
      { category: 'SignInLogs', time: '2026-03-02T08:00:00Z', properties: { status: { errorCode: {} }, deviceDetail: 'x', riskEventTypes: 'y', authenticationDetails: 1 } },
      { createdDateTime: '2026-03-02T08:00:00Z', status: { errorCode: 0 }, location: { countryOrRegion: 3, geoCoordinates: [] }, riskEventTypes_v2: [null, 4], autonomousSystemNumber: 'x' }];
    for (const value of odd) assert.doesNotThrow(() => entraParser.parse(value), JSON.stringify(value));
  });

  it('describes itself as the json-framed entra source', () => {
    assert.equal(entraParser.id, 'entra');
    assert.equal(entraParser.framing, 'json');
  });
});
