import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { compileAuthEventAdmission } from '@ratchet/contracts';
import type { SourceParser, SourceResult } from '../source-parser';
import { addressWithoutPort, namespaceOf, serviceOf, spiffeIdOf } from './envoy-access';
import { envoyJsonParser, envoyParser } from './index';

/**
 * Cases are data: `fixtures/<parser id>.<case>.log` (`.ndjson` for `envoy-json`) holds records as
 * Envoy and Istio write them, one per line; `<same>.expected.json` the answer — `it` (the test's
 * name), then `results`, one per record in order: `{ events }`, `{ ignored }` or `{ refused }`.
 */
interface Expected {
  it: string;
  results: ({ events: unknown[] } | { ignored: string } | { refused: string })[];
}

const PARSERS: readonly SourceParser[] = [envoyParser, envoyJsonParser];
const FIXTURES = join(__dirname, 'fixtures');
const files = readdirSync(FIXTURES).sort();
const inputs = files.filter((f) => /\.(log|ndjson)$/.test(f));
const answers = files.filter((f) => f.endsWith('.expected.json'));
const stemOf = (file: string): string => file.replace(/\.(log|ndjson|expected\.json)$/, '');

/** Records as the collector frames them: one per non-blank line; NDJSON lines parsed. */
function recordsOf(file: string, parser: SourceParser): unknown[] {
  const lines = readFileSync(join(FIXTURES, file), 'utf8')
    .split('\n')
    .map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line))
    .filter((line) => line.trim() !== '');
  return parser.framing === 'line' ? lines : lines.map((line) => JSON.parse(line) as unknown);
}

function answerOf(result: SourceResult): Expected['results'][number] {
  if (!result.ok) return { refused: result.reason };
  if (result.events.length === 0) return { ignored: result.ignored ?? '' };
  return { events: result.events };
}

/** `envoy-json.` before `envoy.`: the longest id that starts the file name wins. */
const parserOf = (file: string): SourceParser | undefined =>
  [...PARSERS].sort((a, b) => b.id.length - a.id.length).find((p) => file.startsWith(`${p.id}.`));

const cases = inputs.map((file) => {
  const parser = parserOf(file);
  if (parser === undefined) throw new Error(`fixtures/${file}: no parser has the id its name starts with`);
  const expected = JSON.parse(readFileSync(join(FIXTURES, `${stemOf(file)}.expected.json`), 'utf8')) as Expected;
  return { file, parser, records: recordsOf(file, parser), expected };
});
const admit = compileAuthEventAdmission();

describe('envoy parsers', () => {
  for (const { file, parser, records, expected } of cases) {
    it(`${parser.id} ${expected.it}`, () => {
      assert.equal(records.length, expected.results.length, `fixtures/${file}: one answer per record`);
      records.forEach((record, i) => {
        const result = parser.parse(record);
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

  it('gives every record its own id, even when records share an X-Request-ID, and the same id when read again', () => {
    const ids = cases.flatMap(({ parser, records }) =>
      records.flatMap((record) => {
        const first = parser.parse(record);
        assert.deepEqual(parser.parse(record), first);
        return first.ok ? first.events.map((e) => e.id) : [];
      }),
    );
    assert.equal(new Set(ids).size, ids.length);
  });

  it('refuses, never throws, whatever value it is given', () => {
    const odd: unknown[] = [
      null,
      undefined,
      0,
      true,
      '',
      '[',
      [],
      {},
      { start_time: {}, response_code: [] },
      `[2026-11-24T10:00:00Z] "GET / HTTP/1.1" 200 - 0 0 0 - "-" "${'"'.repeat(20_000)}" "-" "-" "-"`,
      `[${'9'.repeat(100_000)}`,
    ];
    for (const parser of PARSERS) {
      for (const value of odd) {
        const result = parser.parse(value);
        assert.equal(typeof result.ok, 'boolean', `${parser.id} on ${JSON.stringify(value)?.slice(0, 40)}`);
        if (!result.ok) assert.match(result.reason, /\S/);
      }
    }
  });
});

describe('Envoy and Istio values', () => {
  const services: [cluster: string | undefined, sni: string | undefined, service: string | undefined, namespace: string | undefined][] = [
    ['outbound|8080||cart.shop.svc.cluster.local', undefined, 'cart.shop.svc.cluster.local', 'shop'],
    ['outbound|8080|v2|cart.shop.svc.cluster.local', undefined, 'cart.shop.svc.cluster.local', 'shop'],
    ['inbound|8080||', 'outbound_.8080_._.cart.shop.svc.cluster.local', 'cart.shop.svc.cluster.local', 'shop'],
    ['inbound|8080||', 'outbound_.8080_.v2_.cart.shop.svc.cluster.local', 'cart.shop.svc.cluster.local', 'shop'],
    ['inbound|8080||', undefined, undefined, undefined],
    ['outbound|443||api.example.com', undefined, 'api.example.com', undefined],
    ['httproute/shop/web/rule/0', undefined, 'httproute/shop/web/rule/0', undefined],
    [undefined, 'shop.example.com', undefined, undefined],
  ];
  for (const [cluster, sni, service, namespace] of services) {
    it(`finds service ${service ?? 'none'} in cluster ${cluster ?? '(none)'} and SNI ${sni ?? '(none)'}`, () => {
      const found = serviceOf(cluster, sni);
      assert.equal(found, service);
      assert.equal(found === undefined ? undefined : namespaceOf(found), namespace);
    });
  }

  const sans: [uriSans: string, spiffe: string | undefined][] = [
    ['spiffe://cluster.local/ns/shop/sa/web', 'spiffe://cluster.local/ns/shop/sa/web'],
    ['https://legacy.example.com/id,spiffe://cluster.local/ns/ops/sa/backup', 'spiffe://cluster.local/ns/ops/sa/backup'],
    ['spiffe://td/ns/a/sa/b,spiffe://td/ns/c/sa/d', 'spiffe://td/ns/a/sa/b'],
    ['https://legacy.example.com/id', undefined],
  ];
  for (const [uriSans, spiffe] of sans) {
    it(`takes ${spiffe ?? 'no SPIFFE id'} from the peer URI SANs ${uriSans}`, () => {
      assert.equal(spiffeIdOf(uriSans), spiffe);
    });
  }

  const addresses: [raw: string, ip: string | undefined][] = [
    ['10.244.2.23:51234', '10.244.2.23'],
    ['[2001:db8:1::7]:60000', '2001:db8:1::7'],
    ['10.244.2.23', '10.244.2.23'],
    ['[fe80::1%eth0]:8080', undefined],
    ['envoy://internal_client_address/', undefined],
    ['/var/run/envoy.sock', undefined],
  ];
  for (const [raw, ip] of addresses) {
    it(`reads the downstream address ${raw} as ${ip ?? 'no IP'}`, () => {
      assert.equal(addressWithoutPort(raw), ip);
    });
  }
});
