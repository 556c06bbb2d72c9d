import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { acceptingEnvelopes } from '../wrappers';
import { itAnswersEveryRecordFixture } from '../testing/record-fixture-cases';
import { apacheAccessParser, apacheErrorParser, createApacheErrorParser } from './index';

describe('apache parsers', () => {
  itAnswersEveryRecordFixture(join(__dirname, 'fixtures'), [apacheAccessParser, createApacheErrorParser({ year: 2026 })].map(acceptingEnvelopes));

  it('reads the same request the same way in the access log whether or not syslog carried it', () => {
    const line = '203.0.113.20 - - [24/Nov/2026:10:00:00 +0100] "GET /index.html HTTP/1.1" 200 5120';
    const viaSyslog = acceptingEnvelopes(apacheAccessParser).parse(`Nov 24 10:00:00 web-2 apache2[311]: ${line}`);
    assert.deepEqual(viaSyslog, apacheAccessParser.parse(line));
  });

  it('takes the year of a syslog-only error line from the receive time when none is configured', () => {
    const result = apacheErrorParser.parse('Nov 24 10:04:04 web-2 apache2[2216]: [auth_basic:error] [pid 2216] [client 198.51.100.63:40206] AH01618: user ivan not found: /admin', {
      receivedAt: Date.UTC(2027, 0, 2),
    });
    assert.ok(result.ok);
    assert.equal(result.events[0]?.time, '2026-11-24T10:04:04.000Z');
  });
});
