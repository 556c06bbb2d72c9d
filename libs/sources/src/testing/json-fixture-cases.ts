import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { compileAuthEventAdmission } from '@ratchet/contracts';
import type { SourceParser } from '../source-parser';

/**
 * Cases are data: `<dir>/<case>.json` is a record as the vendor writes it, `<case>.expected.json`
 * the answer — `it` (the test's name), then `events`, `ignored` or `refused`. Registers, inside
 * the caller's `describe`, one test per case (every event also passes admission), that every
 * record has an answer, and that parsing is deterministic and leaves the record unchanged.
 */
export function itAnswersEveryJsonFixture(parser: SourceParser, dir: string): void {
  interface Expected {
    it: string;
    events?: unknown[];
    ignored?: string;
    refused?: string;
  }
  const readJson = (file: string): unknown => JSON.parse(readFileSync(join(dir, file), 'utf8'));
  const files = readdirSync(dir).sort();
  const records = files.filter((f) => f.endsWith('.json') && !f.endsWith('.expected.json'));
  const answers = files.filter((f) => f.endsWith('.expected.json'));
  const cases = records
    .filter((file) => answers.includes(file.replace(/\.json$/, '.expected.json')))
    .map((file) => ({ record: readJson(file), expected: readJson(file.replace(/\.json$/, '.expected.json')) as Expected }));
  const admit = compileAuthEventAdmission();

  for (const { record, expected } of cases) {
    it(expected.it, () => {
      const result = parser.parse(record);
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
      assert.deepEqual(parser.parse(record), parser.parse(record));
      assert.deepEqual(record, before);
    }
  });
}
