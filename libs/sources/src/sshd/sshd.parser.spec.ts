import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { acceptingEnvelopes } from '../wrappers';
import { itAnswersEveryRecordFixture } from '../testing/record-fixture-cases';
import { createSshdParser, sshdParser } from './sshd.parser';

const LINE = 'Dec 31 23:59:58 bastion-1 sshd[41021]: Failed password for alice from 203.0.113.10 port 51022 ssh2';

describe('sshd parser', () => {
  itAnswersEveryRecordFixture(join(__dirname, 'fixtures'), [acceptingEnvelopes(createSshdParser({ year: 2026 }))]);

  it('reads an RFC 3164 time in the year it is given', () => {
    const result = createSshdParser({ year: 2019 }).parse(LINE);
    assert.ok(result.ok);
    assert.equal(result.events[0]?.time, '2019-12-31T23:59:58.000Z');
  });

  it('takes the year from the receive time, and the year before for a December line read in January', () => {
    const inDecember = sshdParser.parse(LINE, { receivedAt: Date.UTC(2026, 11, 31, 23, 59, 59) });
    const inJanuary = sshdParser.parse(LINE, { receivedAt: Date.UTC(2027, 0, 1, 0, 0, 5) });
    assert.ok(inDecember.ok && inJanuary.ok);
    assert.equal(inDecember.events[0]?.time, '2026-12-31T23:59:58.000Z');
    assert.equal(inJanuary.events[0]?.time, '2026-12-31T23:59:58.000Z');
  });

  it('refuses an RFC 3164 line when neither a year nor a receive time is known, saying how to give one', () => {
    assert.deepEqual(sshdParser.parse(LINE), {
      ok: false,
      reason: "time: syslog (RFC 3164) gives no year; set the parser's year or pass the time the record was received",
    });
  });

  it('refuses 29 February in a year that has none', () => {
    const result = createSshdParser({ year: 2026 }).parse('Feb 29 10:00:00 bastion-1 sshd[1]: Invalid user x from 192.0.2.1 port 1');
    assert.deepEqual(result, { ok: false, reason: 'time: not a real date and time in 2026' });
  });
});
