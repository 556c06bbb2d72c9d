import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openEnvelope } from '../envelope';
import { itAnswersEveryRecordFixture } from '../testing/record-fixture-cases';
import { cloudtrailParser } from './cloudtrail.parser';

const fixtures = join(__dirname, 'fixtures');

describe('cloudtrail parser', () => {
  itAnswersEveryRecordFixture(fixtures, [cloudtrailParser]);

  it('never throws, whatever JSON value it is given', () => {
    const odd: unknown[] = [null, 0, 'ConsoleLogin', [], {}, { eventName: 7 }, { eventName: 'ConsoleLogin', responseElements: 'Success' },
      { eventName: 'ConsoleLogin', eventTime: 5, responseElements: { ConsoleLogin: 'Success' }, userIdentity: [], sourceIPAddress: {} },
      { 'detail-type': 'AWS API Call via CloudTrail', detail: [] }, { eventName: 'AssumeRole', errorCode: 42 }];
    for (const value of odd) assert.doesNotThrow(() => cloudtrailParser.parse(value), JSON.stringify(value));
  });

  it('opens a trail file of the shape S3 delivers, one record per entry', () => {
    const records = readFileSync(join(fixtures, 'cloudtrail.console-login.ndjson'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown);
    const opened = openEnvelope(cloudtrailParser, { Records: records });
    assert.deepEqual(opened, { ok: true, name: 'CloudTrail log file', records, path: 'Records' });
  });

  it('keeps no client address when AWS wrote a service name where the address goes', () => {
    const result = cloudtrailParser.parse({ eventName: 'ConsoleLogin', eventTime: '2026-03-02T09:00:00Z', sourceIPAddress: 'AWS Internal', responseElements: { ConsoleLogin: 'Failure' } });
    assert.ok(result.ok);
    assert.equal(result.events[0]?.client, undefined);
  });
});
