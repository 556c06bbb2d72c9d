import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { itAnswersEveryRecordFixture } from '../testing/record-fixture-cases';
import { caddyParser } from './caddy.parser';

describe('caddy parser', () => {
  itAnswersEveryRecordFixture(join(__dirname, 'fixtures'), [caddyParser]);

  it('reads the same record to the same id, and two requests of one second to two', () => {
    const request = (port: string) => ({ ts: 1764000000.5, logger: 'http.log.access.log0', request: { remote_ip: '203.0.113.7', remote_port: port, method: 'GET', host: 'a.example.com', uri: '/' }, status: 401 });
    const ids = [request('1'), request('1'), request('2')].map((r) => {
      const result = caddyParser.parse(r);
      assert.ok(result.ok);
      return result.events[0]?.id;
    });
    assert.equal(ids[0], ids[1]);
    assert.notEqual(ids[0], ids[2]);
  });

  it('refuses what is not a JSON object and a time it cannot read, naming the field', () => {
    assert.deepEqual(caddyParser.parse('{"ts":1}'), { ok: false, reason: '(record): must be a JSON object' });
    assert.deepEqual(caddyParser.parse({ ts: 'yesterday', request: {}, status: 200 }), { ok: false, reason: 'ts: is required (Unix seconds, or an ISO-8601 date-time)' });
  });
});
