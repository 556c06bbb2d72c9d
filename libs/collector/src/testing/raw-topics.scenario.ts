import assert from 'node:assert/strict';
import { join } from 'node:path';
import { HEADERS, TOPICS, type AuthEvent, type ConsumedMessage, type EventLog, type Subscription } from '@ratchet/contracts';
import { ManualClock } from '@ratchet/kernel';
import { RatchetMetrics } from '@ratchet/platform';
import { compileCollectorSettings } from '../collector-settings';
import { IngestService } from '../ingest.service';
import { RawTopicsConsumer } from '../raw-topics.consumer';

/** MaxMind's test databases, kept beside the enrichment library (see its fixtures/NOTICE). */
const GEOIP = join(__dirname, '..', '..', '..', 'enrichment', 'src', 'fixtures');

/**
 * Records as the products write them, one per message. The ingress's load balancer (10.0.0.4) is
 * a trusted proxy; 81.2.69.142 connects directly and forges X-Forwarded-For.
 */
export const RAW_RECORDS = {
  nginx: [
    '10.0.0.4 - - [24/Nov/2026:10:02:00 +0000] "POST /api/login HTTP/1.1" 401 48 "-" "python-requests/2.32.3" "198.51.100.9, 89.160.20.112"\n',
    '81.2.69.142 - - [24/Nov/2026:10:02:01 +0000] "POST /api/login HTTP/1.1" 401 48 "-" "curl/8.5.0" "203.0.113.50"',
    'GET /api/login HTTP/1.1 401',
  ],
  okta: [
    JSON.stringify({ uuid: '5b1e9c3a-3f1e-11ef-a512-c305e2b67744', published: '2026-11-24T10:02:02Z', eventType: 'user.session.start', outcome: { result: 'FAILURE', reason: 'INVALID_CREDENTIALS' }, client: { ipAddress: '216.160.83.56' } }),
    '{"uuid": "cut off by the shipper',
  ],
} as const;

interface Harness {
  settings: ReturnType<typeof compileCollectorSettings>;
  metrics: RatchetMetrics;
  start(): Promise<RawTopicsConsumer>;
}

function harness(log: EventLog, group: string): Harness {
  const settings = compileCollectorSettings({
    geoipCityDb: join(GEOIP, 'GeoLite2-City.mmdb'),
    geoipAsnDb: join(GEOIP, 'GeoLite2-ASN.mmdb'),
    trustedProxies: ['127.0.0.1/32', '10.0.0.0/8'],
    rawTopics: [
      { source: 'nginx-access', topic: 'raw.nginx-access' },
      { source: 'okta', topic: 'idp.okta' },
    ],
    group,
  });
  const metrics = new RatchetMetrics();
  return {
    settings,
    metrics,
    async start() {
      const ingest = new IngestService(log, new ManualClock(Date.parse('2026-11-24T10:05:00Z')), metrics, settings);
      await ingest.onModuleInit();
      const consumer = new RawTopicsConsumer(log, ingest, settings);
      await consumer.onApplicationBootstrap();
      return consumer;
    },
  };
}

/** Collects what arrives on `topic` (read by its own group from the start) until `enough` says so. */
async function collect(log: EventLog, topic: string, group: string, enough: (seen: readonly ConsumedMessage[]) => boolean): Promise<{ seen: ConsumedMessage[]; subscription: Subscription }> {
  const seen: ConsumedMessage[] = [];
  let done!: () => void;
  const arrived = new Promise<void>((resolve) => (done = resolve));
  const subscription = await log.consume({
    group,
    topics: [topic],
    handle: async (batch) => {
      seen.push(...batch.messages);
      if (enough(seen)) done();
    },
  });
  await arrived;
  return { seen, subscription };
}

const events = (messages: readonly ConsumedMessage[]): AuthEvent[] => messages.map((m) => JSON.parse(m.value) as AuthEvent);

/**
 * The raw-topic flow against any `EventLog`: records in, enriched events and dead letters out,
 * counted per source and outcome, offsets committed only after publishing (a consumer of the same
 * group started later reads only what came after). `unique` names groups so runs never share them.
 */
export async function runRawTopicsScenario(log: EventLog, unique: (prefix: string) => string): Promise<void> {
  const group = unique('collector');
  const first = harness(log, group);
  const consumer = await first.start();
  const subscriptions: Subscription[] = [];
  try {
    await log.publish('raw.nginx-access', RAW_RECORDS.nginx.map((value) => ({ key: 'ingress-0', value })));
    await log.publish('idp.okta', RAW_RECORDS.okta.map((value) => ({ key: 'okta', value })));

    const accepted = await collect(log, TOPICS.authEvents, unique('events'), (seen) => seen.length >= 3);
    const rejected = await collect(log, TOPICS.authEventsDlq, unique('dlq'), (seen) => seen.length >= 2);
    subscriptions.push(accepted.subscription, rejected.subscription);

    const byIp = new Map(events(accepted.seen).map((e) => [e.client?.ip, e]));
    assert.deepEqual([...byIp.keys()].sort(), ['216.160.83.56', '81.2.69.142', '89.160.20.112']);
    // Behind the trusted load balancer: the right-most untrusted hop, enriched from the databases.
    assert.deepEqual(byIp.get('89.160.20.112')?.client, {
      ip: '89.160.20.112',
      userAgent: 'python-requests/2.32.3',
      scope: 'public',
      geo: { country: 'SE', city: 'Linköping', lat: 58.4167, lon: 15.6167 },
      asn: { number: 29518, org: 'Bredband2 AB' },
    });
    // A peer that is not a trusted proxy is the client, whatever header it sends.
    assert.deepEqual(byIp.get('81.2.69.142')?.client?.geo, { country: 'GB', city: 'London', lat: 51.5142, lon: -0.0931 });
    const okta = byIp.get('216.160.83.56');
    assert.equal(okta?.source.kind, 'okta');
    assert.deepEqual(okta?.client?.asn, { number: 209 });
    assert.ok(accepted.seen.every((m) => m.key === `ip:${(JSON.parse(m.value) as AuthEvent).client?.ip}`), 'events are keyed by address');

    const letters = rejected.seen.map((m) => ({ value: m.value, reason: m.headers[HEADERS.reason], source: m.headers[HEADERS.source] }));
    assert.deepEqual(
      letters.sort((a, b) => (a.source ?? '').localeCompare(b.source ?? '')),
      [
        { value: RAW_RECORDS.nginx[2], reason: 'refused-record', source: 'nginx-access' },
        { value: RAW_RECORDS.okta[1], reason: 'unparsable', source: 'okta' },
      ],
    );
    assert.match(rejected.seen.find((m) => m.headers[HEADERS.source] === 'okta')?.headers[HEADERS.errors] ?? '', /not JSON/);

    const counts = Object.fromEntries((await first.metrics.records.get()).values.map((v) => [`${v.labels.source}/${v.labels.outcome}`, v.value]));
    assert.deepEqual(counts, { 'nginx-access/accepted': 2, 'nginx-access/refused-record': 1, 'okta/accepted': 1, 'okta/unparsable': 1 });
  } finally {
    await consumer.onApplicationShutdown();
  }

  // Committed: the same group, started again, reads only the record published after the stop.
  const second = harness(log, group);
  const restarted = await second.start();
  try {
    await log.publish('raw.nginx-access', [{ key: 'ingress-0', value: '10.0.0.4 - - [24/Nov/2026:10:03:00 +0000] "POST /api/login HTTP/1.1" 200 12 "-" "curl/8.5.0" "2001:218::1"' }]);
    const after = await collect(log, TOPICS.authEvents, unique('events'), (seen) => seen.some((m) => m.key === 'ip:2001:218::1'));
    subscriptions.push(after.subscription);
    assert.deepEqual(events(after.seen).filter((e) => e.client?.ip === '2001:218::1').map((e) => e.client?.geo?.country), ['JP']);
    const counts = (await second.metrics.records.get()).values.map((v) => [`${v.labels.source}/${v.labels.outcome}`, v.value]);
    assert.deepEqual(counts, [['nginx-access/accepted', 1]]);
  } finally {
    await restarted.onApplicationShutdown();
    await Promise.all(subscriptions.map((s) => s.close()));
  }
}
