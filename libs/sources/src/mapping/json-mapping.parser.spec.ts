import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sourceCatalogue } from '../catalogue';
import { openEnvelope } from '../envelope';
import { itAnswersEveryRecordFixture } from '../testing/record-fixture-cases';
import { compileSourceMappings, InvalidSourceConfig, jsonMappingParser } from './json-mapping.parser';

const fixtures = join(__dirname, 'fixtures');
const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));
const configured = compileSourceMappings(readJson(join(fixtures, 'sources.json')));

describe('sources configured by JSON mapping', () => {
  itAnswersEveryRecordFixture(fixtures, configured);

  it('describes each configured source from its settings', () => {
    assert.deepEqual(
      configured.map((s) => [s.id, s.framing, s.summary]),
      [
        ['shop-api', 'json', "The shop API's pino log: sign-ins and second factors"],
        ['vpn-gateway', 'json', 'configured JSON source vpn-gateway'],
      ],
    );
  });

  it('opens the batch a configured envelope names', () => {
    const vpn = configured.find((s) => s.id === 'vpn-gateway');
    assert.ok(vpn);
    assert.deepEqual(openEnvelope(vpn, { batch: { entries: [{ ts: 1 }] } }), { ok: true, name: 'vpn-gateway batch', records: [{ ts: 1 }], path: 'batch.entries' });
  });

  it('never throws on a record, whatever JSON value it is given', () => {
    const odd: unknown[] = [null, 0, 'x', [], {}, { time: {}, event: 'auth.login' }, { time: 1, event: 'auth.login', result: 'ok', req: [] }, { ts: -5, status: 200 }];
    for (const parser of configured) for (const value of odd) assert.doesNotThrow(() => parser.parse(value), `${parser.id} ${JSON.stringify(value)}`);
  });

  describe('refuses a configuration that breaks a rule, naming the setting', () => {
    for (const file of readdirSync(join(fixtures, 'invalid')).sort()) {
      const { it: sentence, file: raw, error } = readJson(join(fixtures, 'invalid', file)) as { it: string; file: unknown; error: string };
      it(sentence, () => {
        assert.throws(() => compileSourceMappings(raw), (err: unknown) => err instanceof InvalidSourceConfig && err.message === error && err.code === 'SOURCES.INVALID_CONFIG');
      });
    }
  });

  it('adds configured sources after the built-in ones and finds them by id', () => {
    const catalogue = sourceCatalogue(configured);
    assert.deepEqual(catalogue.sources.slice(-2).map((s) => s.id), ['shop-api', 'vpn-gateway']);
    assert.equal(catalogue.find('shop-api'), configured[0]);
    assert.equal(catalogue.find('okta')?.id, 'okta');
  });

  it('refuses a configured source that takes a built-in id', () => {
    const clash = jsonMappingParser('okta', { fields: { time: 't' }, constants: { plane: 'north-south', action: 'login', outcome: 'success' } });
    assert.throws(() => sourceCatalogue([clash]), /^InvalidSourceConfig: sources\.okta: is a built-in source; give the configured one another id$/);
  });
});
