import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { INGEST_MEDIA_TYPES, mediaTypeOf, parseIngestBody, type ParsedBody } from './ingest-body';

const JSON_TYPE = 'application/json';
const NDJSON = 'application/x-ndjson';

function items(parsed: ParsedBody) {
  assert.ok(parsed.ok, `refused: ${parsed.ok ? '' : parsed.error}`);
  return parsed.items;
}

function error(parsed: ParsedBody): string {
  assert.equal(parsed.ok, false, 'parsed a body that should be refused');
  return parsed.ok ? '' : parsed.error;
}

describe('parseIngestBody with application/json', () => {
  it('reads one object as one item at index 0', () => {
    assert.deepEqual(items(parseIngestBody(JSON_TYPE, '{"id":"a"}')), [{ index: 0, value: { id: 'a' } }]);
  });

  it('reads an array as one item per element, in order', () => {
    assert.deepEqual(items(parseIngestBody(JSON_TYPE, '[{"id":"a"},{"id":"b"},{"id":"c"}]')), [
      { index: 0, value: { id: 'a' } },
      { index: 1, value: { id: 'b' } },
      { index: 2, value: { id: 'c' } },
    ]);
  });

  it('tolerates whitespace and newlines around and inside the JSON', () => {
    assert.deepEqual(items(parseIngestBody(JSON_TYPE, '\n  [\n {"id":"a"} ,\n {"id":"b"}\n ]\n')), [
      { index: 0, value: { id: 'a' } },
      { index: 1, value: { id: 'b' } },
    ]);
  });

  it('passes a JSON value that is not an event on as an item, for the schema to refuse', () => {
    assert.deepEqual(items(parseIngestBody(JSON_TYPE, '42')), [{ index: 0, value: 42 }]);
    assert.deepEqual(items(parseIngestBody(JSON_TYPE, 'null')), [{ index: 0, value: null }]);
    assert.deepEqual(items(parseIngestBody(JSON_TYPE, '[1,"x"]')), [
      { index: 0, value: 1 },
      { index: 1, value: 'x' },
    ]);
  });

  it('refuses a body that is not JSON, saying so', () => {
    assert.match(error(parseIngestBody(JSON_TYPE, 'user=alice&password=hunter2')), /^the body is not JSON: /);
  });

  it('refuses truncated JSON as a whole, not item by item', () => {
    assert.match(error(parseIngestBody(JSON_TYPE, '[{"id":"a"},{"id":')), /^the body is not JSON: /);
  });

  it('refuses an empty body as not JSON', () => {
    assert.match(error(parseIngestBody(JSON_TYPE, '')), /^the body is not JSON: /);
  });

  it('refuses an empty array as holding no event', () => {
    assert.equal(error(parseIngestBody(JSON_TYPE, '[]')), 'the body holds no event');
  });

  it('does not split NDJSON sent as application/json: two objects on two lines are not JSON', () => {
    assert.match(error(parseIngestBody(JSON_TYPE, '{"id":"a"}\n{"id":"b"}')), /^the body is not JSON: /);
  });
});

describe('parseIngestBody with application/x-ndjson', () => {
  it('reads one item per line', () => {
    assert.deepEqual(items(parseIngestBody(NDJSON, '{"id":"a"}\n{"id":"b"}\n')), [
      { index: 0, value: { id: 'a' } },
      { index: 1, value: { id: 'b' } },
    ]);
  });

  it('reads the last line without a trailing newline', () => {
    assert.deepEqual(items(parseIngestBody(NDJSON, '{"id":"a"}\n{"id":"b"}')), [
      { index: 0, value: { id: 'a' } },
      { index: 1, value: { id: 'b' } },
    ]);
  });

  it('accepts CRLF line endings', () => {
    assert.deepEqual(items(parseIngestBody(NDJSON, '{"id":"a"}\r\n{"id":"b"}\r\n')), [
      { index: 0, value: { id: 'a' } },
      { index: 1, value: { id: 'b' } },
    ]);
  });

  it('ignores blank and whitespace-only lines without giving them an index', () => {
    assert.deepEqual(items(parseIngestBody(NDJSON, '\n{"id":"a"}\n   \n\t\n{"id":"b"}\n\n')), [
      { index: 0, value: { id: 'a' } },
      { index: 1, value: { id: 'b' } },
    ]);
  });

  it('refuses a bad line alone, keeping its text and naming its line', () => {
    assert.deepEqual(items(parseIngestBody(NDJSON, '{"id":"a"}\n{"id": oops\n{"id":"c"}\n')), [
      { index: 0, value: { id: 'a' } },
      { index: 1, raw: '{"id": oops', error: 'line 2: is not JSON' },
      { index: 2, value: { id: 'c' } },
    ]);
  });

  it('keeps every line of a body in which no line is JSON, each refused alone', () => {
    assert.deepEqual(items(parseIngestBody(NDJSON, 'alpha\nbeta')), [
      { index: 0, raw: 'alpha', error: 'line 1: is not JSON' },
      { index: 1, raw: 'beta', error: 'line 2: is not JSON' },
    ]);
  });

  it('names the line a producer sees in its file, counting blank lines too', () => {
    // The third line of the body is the bad one; a blank line precedes it.
    const [, bad] = items(parseIngestBody(NDJSON, '{"id":"a"}\n\n{"id": oops\n'));
    assert.deepEqual(bad, { index: 1, raw: '{"id": oops', error: 'line 3: is not JSON' });
  });

  it('reads a line holding a JSON array as one item, for the schema to refuse', () => {
    assert.deepEqual(items(parseIngestBody(NDJSON, '[{"id":"a"},{"id":"b"}]')), [{ index: 0, value: [{ id: 'a' }, { id: 'b' }] }]);
  });

  it('refuses a body of blank lines as holding no event', () => {
    assert.equal(error(parseIngestBody(NDJSON, '\n  \n\r\n')), 'the body holds no event');
    assert.equal(error(parseIngestBody(NDJSON, '')), 'the body holds no event');
  });
});

describe('mediaTypeOf', () => {
  it('drops parameters and case so a charset does not make a body unsupported', () => {
    assert.equal(mediaTypeOf('application/json; charset=utf-8'), 'application/json');
    assert.equal(mediaTypeOf('Application/X-NDJSON ;charset=UTF-8'), 'application/x-ndjson');
  });

  it('gives an empty media type for a missing header', () => {
    assert.equal(mediaTypeOf(undefined), '');
    assert.equal(mediaTypeOf(''), '');
  });

  it('recognises exactly the two ingest media types', () => {
    assert.deepEqual([...INGEST_MEDIA_TYPES], ['application/json', 'application/x-ndjson']);
  });
});
