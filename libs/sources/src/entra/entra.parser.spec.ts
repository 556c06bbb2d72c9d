import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { compileAuthEventAdmission } from '@ratchet/contracts';
import { entraParser } from './entra.parser';

/**
 * Cases are data: `fixtures/<case>.json` is a record as Entra writes it, `<case>.expected.json`
 * the answer — `it` (the test's name), then `events`, `ignored` or `refused`.
 */
interface Expected {
  it: string;
  events?: unknown[];
  ignored?: string;
  refused?: string;
}

const FIXTURES = join(__dirname, 'fixtures');
const readJson = (file: string): unknown => JSON.parse(readFileSync(join(FIXTURES, file), 'utf8'));
const files = readdirSync(FIXTURES).sort();
const records = files.filter((f) => f.endsWith('.json') && !f.endsWith('.expected.json'));
const answers = files.filter((f) => f.endsWith('.expected.json'));
const cases = records
  .filter((file) => answers.includes(file.replace(/\.json$/, '.expected.json')))
  .map((file) => ({ record: readJson(file), expected: readJson(file.replace(/\.json$/, '.expected.json')) as Expected }));
const admit = compileAuthEventAdmission();

describe('entra parser', () => {
  for (const { record, expected } of cases) {
    it(expected.it, () => {
      const result = entraParser.parse(record);
      if (expected.refused !== undefined) return assert.deepEqual(result, { ok: false, reason: expected.refused });
      if (expected.ignored !== undefined) return assert.deepEqual(result, { ok: true, events: [], ignored: expected.ignored });
      assert.deepEqual(result, { ok: true, events: expected.events });
      for (const event of result.ok ? result.events : []) {
        const admission = admit(event, { observedAt: 0 });
        assert.ok(admission.ok, `not admitted: ${admission.ok ? '' : admission.errors.join('; ')}`);
      }
    });
  }

  it('pairs every record fixture with an expected answer', () => {
    assert.deepEqual(
      answers.map((f) => f.replace(/\.expected\.json$/, '')),
      records.map((f) => f.replace(/\.json$/, '')),
    );
  });

  it('answers the same record the same way twice and leaves it unchanged', () => {
    for (const { record } of cases) {
      const before = structuredClone(record);
      assert.deepEqual(entraParser.parse(record), entraParser.parse(record));
      assert.deepEqual(record, before);
    }
  });

  it('never throws, whatever JSON value it is given', () => {
    const odd: unknown[] = [null, 0, 'Sign-in activity', true, [], {}, { createdDateTime: 7 }, { createdDateTime: '2026-03-02T08:00:00Z', status: 'ok' },
      { category: 'SignInLogs', properties: {}, time: 5 },
      { category: 'SignInLogs', time: '2026-03-02T08:00:00Z', properties: { status: { errorCode: {} }, deviceDetail: 'x', riskEventTypes: 'y', authenticationDetails: 1 } }];
    for (const value of odd) assert.doesNotThrow(() => entraParser.parse(value), JSON.stringify(value));
  });

  it('describes itself as the json-framed entra source', () => {
    assert.equal(entraParser.id, 'entra');
    assert.equal(entraParser.framing, 'json');
  });
});
