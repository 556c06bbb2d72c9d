import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { SourceParser } from '../source-parser';
import { itAnswersEveryRecordFixture } from '../testing/record-fixture-cases';
import { addressWithoutPort, namespaceOf, serviceOf, spiffeIdOf } from './envoy-access';
import { envoyJsonParser, envoyParser } from './index';

const PARSERS: readonly SourceParser[] = [envoyParser, envoyJsonParser];

describe('envoy parsers', () => {
  const cases = itAnswersEveryRecordFixture(join(__dirname, 'fixtures'), PARSERS);

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

  it('hands the logged X-Forwarded-For to the collector and keeps the connecting peer as client.ip', () => {
    const line =
      '[2026-11-24T10:11:00.000Z] "POST /login HTTP/2" 401 - via_upstream - "-" 62 48 35 34 "198.51.100.9, 203.0.113.7" "curl/8.5.0" "2b9e6f1c-7d3a-4c8e-9a5b-1f0e2d3c4b5a" "shop.example.com" "10.244.7.20:8080" outbound|8080||auth.identity.svc.cluster.local 10.244.0.9:38000 10.244.0.9:8443 10.0.0.4:55012 shop.example.com shop-routes.shop.0';
    const text = envoyParser.parse(line);
    assert.ok(text.ok);
    assert.equal(text.forwardedFor, '198.51.100.9, 203.0.113.7');
    assert.equal(text.events[0]?.client?.ip, '10.0.0.4');
    const json = envoyJsonParser.parse({ start_time: '2026-11-24T10:15:00.000Z', response_code: 401, downstream_remote_address: '10.0.0.4:55012', 'x-forwarded-for': '203.0.113.7' });
    assert.ok(json.ok);
    assert.equal(json.forwardedFor, '203.0.113.7');
    const istio = envoyJsonParser.parse({ start_time: '2026-11-24T10:15:00.000Z', response_code: 200, x_forwarded_for: null });
    assert.ok(istio.ok);
    assert.equal(istio.forwardedFor, undefined);
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
