import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { compileAuthEventAdmission } from '@ratchet/contracts';
import type { SourceParser, SourceResult } from '../source-parser';
import { StreamMemory } from '../stream-memory';

/**
 * Cases are data: `<dir>/<parser id>.<case>.log` (`.ndjson` for a JSON parser) holds records as the
 * product writes them, one per line; `<same>.expected.json` the answer — `it` (the test's name),
 * then `results`, one per record in order: `{ events }`, `{ ignored }` or `{ refused }`.
 * `stream: true` reads the file as one stream (one `StreamMemory`, as `ratchet ingest` sends a
 * file); otherwise every record is read on its own.
 */
interface Expected {
  it: string;
  stream?: boolean;
  results: ({ events: unknown[] } | { ignored: string } | { refused: string })[];
}

export interface RecordFixtureCase {
  file: string;
  parser: SourceParser;
  records: unknown[];
  expected: Expected;
}

const stemOf = (file: string): string => file.replace(/\.(log|ndjson|expected\.json)$/, '');

function answerOf(result: SourceResult): Expected['results'][number] {
  if (!result.ok) return { refused: result.reason };
  if (result.events.length === 0) return { ignored: result.ignored ?? '' };
  return { events: result.events };
}

/**
 * Registers, inside the caller's `describe`, one test per fixture file (every answer as expected,
 * every event admitted) and one that every fixture has its answer; returns the cases for more.
 */
export function itAnswersEveryRecordFixture(dir: string, parsers: readonly SourceParser[]): RecordFixtureCase[] {
  const files = readdirSync(dir).sort();
  const inputs = files.filter((f) => /\.(log|ndjson)$/.test(f));
  const answers = files.filter((f) => f.endsWith('.expected.json'));
  // `envoy-json.` before `envoy.`: the longest id that starts the file name wins.
  const byLongestId = [...parsers].sort((a, b) => b.id.length - a.id.length);
  /** Records as the collector frames them: one per non-blank line; NDJSON lines parsed. */
  const recordsOf = (file: string, parser: SourceParser): unknown[] => {
    const lines = readFileSync(join(dir, file), 'utf8')
      .split('\n')
      .map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line))
      .filter((line) => line.trim() !== '');
    return parser.framing === 'line' ? lines : lines.map((line) => JSON.parse(line) as unknown);
  };
  const cases = inputs.map((file) => {
    const parser = byLongestId.find((p) => file.startsWith(`${p.id}.`));
    if (parser === undefined) throw new Error(`fixtures/${file}: no parser has the id its name starts with`);
    const expected = JSON.parse(readFileSync(join(dir, `${stemOf(file)}.expected.json`), 'utf8')) as Expected;
    return { file, parser, records: recordsOf(file, parser), expected };
  });
  const admit = compileAuthEventAdmission();

  for (const { file, parser, records, expected } of cases) {
    it(`${parser.id} ${expected.it}`, () => {
      assert.equal(records.length, expected.results.length, `fixtures/${file}: one answer per record`);
      const stream = expected.stream === true ? { stream: new StreamMemory() } : undefined;
      records.forEach((record, i) => {
        const result = parser.parse(record, stream);
        assert.deepEqual(answerOf(result), expected.results[i], `fixtures/${file}, record ${i + 1}`);
        for (const event of result.ok ? result.events : []) {
          const admission = admit(event, { observedAt: 0 });
          assert.ok(admission.ok, `fixtures/${file}, record ${i + 1} not admitted: ${admission.ok ? '' : admission.errors.join('; ')}`);
        }
      });
    });
  }

  it('pairs every fixture with an expected answer', () => {
    assert.deepEqual(answers.map(stemOf), inputs.map(stemOf));
  });
  return cases;
}
