import 'reflect-metadata';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { TOPICS, type ActionReason, type AuthEventInput, type ConsumedMessage, type EnforcementAction, type EventLog, type Subscription } from '@ratchet/contracts';
import { ManualClock } from '@ratchet/kernel';
import { MemoryEventLog, partitionOf, readDetectorConfig } from '@ratchet/platform';
import { authEventInput, onlyDetectors } from '@ratchet/testing';
import type { EmbeddedConfig } from './config';
import { startEmbedded } from './embedded-app';

/** When the enforcer decides: a few minutes after the attacks' event times. */
const NOW = Date.parse('2026-11-24T10:10:00.000Z');
const ATTACK_START = Date.parse('2026-11-24T10:00:00.000Z');
const FIFTEEN_MINUTES = 15 * 60_000;
const PARTITIONS = 4;
/** Guards against a hang; not a performance assertion. */
const SUITE = { timeout: 60_000 };

const BASE_CONFIG: EmbeddedConfig = {
  host: '127.0.0.1',
  port: 0,
  bodyLimit: 64 * 1024,
  trustedProxies: ['127.0.0.1/32', '::1/128'],
  allowlist: ['192.0.2.0/24'],
  logFormat: 'json',
  logLevels: ['fatal', 'error', 'warn'],
  telemetry: { exporter: 'none', sampleRatio: 1 },
};

/** Every message of one topic, as a consumer group of its own reads it. */
class TopicTap {
  readonly messages: ConsumedMessage[] = [];
  private readonly waiters: Array<{ match: (m: ConsumedMessage) => boolean; resolve: (m: ConsumedMessage) => void }> = [];
  private subscription: Subscription | undefined;

  static async open(eventLog: EventLog, topic: string): Promise<TopicTap> {
    const tap = new TopicTap();
    tap.subscription = await eventLog.consume({
      group: `spec-tap-${topic}`,
      topics: [topic],
      handle: async (batch) => {
        for (const message of batch.messages) tap.receive(message);
      },
    });
    return tap;
  }

  /** The first message that matches, already received or still to come. */
  next(match: (m: ConsumedMessage) => boolean): Promise<ConsumedMessage> {
    const seen = this.messages.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  async close(): Promise<void> {
    await this.subscription?.close();
  }

  private receive(message: ConsumedMessage): void {
    this.messages.push(message);
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const waiter = this.waiters[i];
      if (waiter?.match(message)) {
        this.waiters.splice(i, 1);
        waiter.resolve(message);
      }
    }
  }
}

interface Ratchet {
  app: NestFastifyApplication;
  url: string;
  clock: ManualClock;
  dlq: TopicTap;
  actions: TopicTap;
  events: TopicTap;
  signals: TopicTap;
  close(): Promise<void>;
}

async function startRatchet(overrides: Partial<EmbeddedConfig> = {}): Promise<Ratchet> {
  const clock = new ManualClock(NOW);
  const eventLog = new MemoryEventLog({ partitions: PARTITIONS });
  const app = await startEmbedded({ ...BASE_CONFIG, ...overrides }, { clock, eventLog });
  const { port } = app.getHttpServer().address() as AddressInfo;
  const [dlq, actions, events, signals] = await Promise.all(
    [TOPICS.authEventsDlq, TOPICS.enforcementActions, TOPICS.authEvents, TOPICS.riskSignals].map((topic) => TopicTap.open(eventLog, topic)),
  );
  const taps = [dlq, actions, events, signals] as TopicTap[];
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    clock,
    dlq: dlq as TopicTap,
    actions: actions as TopicTap,
    events: events as TopicTap,
    signals: signals as TopicTap,
    async close() {
      await Promise.all(taps.map((t) => t.close()));
      await app.close();
    },
  };
}

/** Failed logins from `ip`, one second apart, each with its own id. */
function failures(ip: string, count: number, { distinctPrincipals = false, idPrefix = `${ip}-`, start = ATTACK_START, stepMs = 1_000 } = {}): AuthEventInput[] {
  return Array.from({ length: count }, (_, i) =>
    authEventInput({
      id: `${idPrefix}${i}`,
      time: new Date(start + i * stepMs).toISOString(),
      client: { ip },
      principal: { type: 'user', id: distinctPrincipals ? `user${i}@example.com` : 'alice@example.com' },
    }),
  );
}

function post(r: Ratchet, body: unknown, contentType = 'application/json', headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${r.url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': contentType, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function postAccepted(r: Ratchet, events: readonly AuthEventInput[]): Promise<void> {
  const response = await post(r, events);
  assert.equal(response.status, 202, await response.clone().text());
  assert.deepEqual(await response.json(), { accepted: events.length, rejected: [] });
}

function authz(r: Ratchet, headers: Record<string, string>): Promise<Response> {
  return fetch(`${r.url}/authz`, { headers });
}

function actionOf(message: ConsumedMessage): EnforcementAction {
  return JSON.parse(message.value) as EnforcementAction;
}

/** Consumes `enforcement.actions` until the decision against `ip` is there. */
/** The first decision of kind `action` (default: the deny) against the address. */
async function decisionAgainst(r: Ratchet, ip: string, action = 'ingress.deny'): Promise<EnforcementAction> {
  return actionOf(await r.actions.next((m) => actionOf(m).entity === `ip:${ip}` && actionOf(m).action === action));
}

let companion = 0;

/**
 * Resolves once everything already posted for `ip` has been through the scorer and the
 * enforcer. "No decision" is not an event, so this posts a brute force from a companion address
 * whose key shares `ip`'s partition — auth.events and risk.scores are both keyed `ip:<address>`
 * and the log keeps per-partition order — and consumes the companion's decision.
 */
async function settled(r: Ratchet, ip: string): Promise<void> {
  const partition = partitionOf(`ip:${ip}`, PARTITIONS);
  let other: string;
  do other = `198.51.100.${++companion}`;
  while (partitionOf(`ip:${other}`, PARTITIONS) !== partition);
  await postAccepted(r, failures(other, 20));
  await decisionAgainst(r, other);
}

async function problemOf(response: Response): Promise<Record<string, unknown>> {
  assert.equal(response.headers.get('content-type')?.split(';')[0], 'application/problem+json');
  return (await response.json()) as Record<string, unknown>;
}

describe('the embedded Ratchet: POST /v1/events', SUITE, () => {
  let r: Ratchet;
  before(async () => {
    r = await startRatchet();
  });
  after(async () => {
    await r.close();
  });

  it('accepts one canonical event and publishes it to auth.events, versioned, timed and scoped', async () => {
    const event = authEventInput({ id: 'single-1', outcome: 'success' });
    const response = await post(r, event);
    assert.equal(response.status, 202);
    assert.deepEqual(await response.json(), { accepted: 1, rejected: [] });
    const published = JSON.parse((await r.events.next((m) => (JSON.parse(m.value) as { id: string }).id === 'single-1')).value) as Record<string, unknown>;
    // The collector's enrichment adds the address scope (documentation addresses count as public).
    assert.deepEqual(published, { ...event, client: { ...event.client, scope: 'public' }, v: 1, ts: Date.parse(event.time), observedAt: NOW });
  });

  it('accepts a JSON array of events', async () => {
    const response = await post(r, [authEventInput({ id: 'array-1' }), authEventInput({ id: 'array-2' }), authEventInput({ id: 'array-3' })]);
    assert.equal(response.status, 202);
    assert.deepEqual(await response.json(), { accepted: 3, rejected: [] });
  });

  it('accepts NDJSON, one event per line', async () => {
    const body = [authEventInput({ id: 'nd-1' }), authEventInput({ id: 'nd-2' })].map((e) => JSON.stringify(e)).join('\n') + '\n';
    const response = await post(r, body, 'application/x-ndjson');
    assert.equal(response.status, 202);
    assert.deepEqual(await response.json(), { accepted: 2, rejected: [] });
    await r.events.next((m) => (JSON.parse(m.value) as { id: string }).id === 'nd-2');
  });

  it('accepts a content type with a charset parameter', async () => {
    const response = await post(r, authEventInput({ id: 'charset-1' }), 'application/json; charset=utf-8');
    assert.equal(response.status, 202);
    assert.deepEqual(await response.json(), { accepted: 1, rejected: [] });
  });

  it('accepts the valid events of a mixed batch and refuses each invalid one by index, naming the field', async () => {
    const badIp = { ...authEventInput({ id: 'mixed-bad-ip' }), client: { ip: 'not-an-ip' } };
    const { time: _time, ...noTime } = authEventInput({ id: 'mixed-no-time' });
    const response = await post(r, [authEventInput({ id: 'mixed-ok-1' }), badIp, authEventInput({ id: 'mixed-ok-2' }), noTime]);
    assert.equal(response.status, 202);
    assert.deepEqual(await response.json(), {
      accepted: 2,
      rejected: [
        { index: 1, errors: ['client.ip: must be an IPv4 or IPv6 address'] },
        { index: 3, errors: ['time: is required'] },
      ],
    });
  });

  it('dead-letters each refused item of a mixed batch with its reason and errors, the item as the value', async () => {
    const badIp = { ...authEventInput({ id: 'dlq-bad-ip' }), client: { ip: '203.0.113.256' } };
    const badPlane = { ...authEventInput({ id: 'dlq-bad-plane' }), plane: 'sideways' };
    const response = await post(r, [badIp, authEventInput({ id: 'dlq-ok' }), badPlane]);
    assert.equal(response.status, 202);

    const ip = await r.dlq.next((m) => m.value.includes('"dlq-bad-ip"'));
    assert.deepEqual(JSON.parse(ip.value), badIp);
    assert.equal(ip.headers['ratchet-reason'], 'invalid-event');
    assert.equal(ip.headers['ratchet-errors'], 'client.ip: must be an IPv4 or IPv6 address');

    const plane = await r.dlq.next((m) => m.value.includes('"dlq-bad-plane"'));
    assert.deepEqual(JSON.parse(plane.value), badPlane);
    assert.equal(plane.headers['ratchet-reason'], 'invalid-event');
    assert.equal(plane.headers['ratchet-errors'], 'plane: must be one of north-south, east-west, control');

    assert.equal(r.dlq.messages.filter((m) => m.value.includes('"dlq-ok"')).length, 0, 'a valid event was dead-lettered');
  });

  it('refuses a bad NDJSON line alone and dead-letters it as unparsable', async () => {
    const body = `${JSON.stringify(authEventInput({ id: 'ndbad-1' }))}\n{"id":"ndbad-2", oops\n${JSON.stringify(authEventInput({ id: 'ndbad-3' }))}\n`;
    const response = await post(r, body, 'application/x-ndjson');
    assert.equal(response.status, 202);
    assert.deepEqual(await response.json(), { accepted: 2, rejected: [{ index: 1, errors: ['line 2: is not JSON'] }] });

    const dead = await r.dlq.next((m) => m.value.includes('ndbad-2'));
    assert.equal(dead.value, '{"id":"ndbad-2", oops');
    assert.equal(dead.headers['ratchet-reason'], 'unparsable');
    assert.equal(dead.headers['ratchet-errors'], 'line 2: is not JSON');
    await r.events.next((m) => (JSON.parse(m.value) as { id: string }).id === 'ndbad-3');
  });

  it('answers 400 problem+json to a body that is not JSON and dead-letters the body', async () => {
    const body = 'user=mallory&attempt=not-json-400';
    const response = await post(r, body);
    assert.equal(response.status, 400);
    const problem = await problemOf(response);
    assert.equal(problem['status'], 400);
    assert.match(String(problem['detail']), /^the body is not JSON: /);

    const dead = await r.dlq.next((m) => m.value === body);
    assert.equal(dead.headers['ratchet-reason'], 'unparsable');
    assert.match(dead.headers['ratchet-errors'] ?? '', /^the body is not JSON: /);
  });

  it('answers 400 problem+json to an empty body', async () => {
    const response = await post(r, '');
    assert.equal(response.status, 400);
    assert.equal((await problemOf(response))['status'], 400);
  });

  it('answers 400 problem+json to an empty array, which holds no event', async () => {
    const response = await post(r, []);
    assert.equal(response.status, 400);
    assert.equal((await problemOf(response))['detail'], 'the body holds no event');
  });

  it('answers 422 problem+json naming the field when no event of the request is valid', async () => {
    const response = await post(r, [{ ...authEventInput({ id: 'all-bad' }), client: { ip: 'nope' } }]);
    assert.equal(response.status, 422);
    const problem = await problemOf(response);
    assert.equal(problem['status'], 422);
    assert.match(String(problem['detail']), /client\.ip/);
    assert.deepEqual(problem['errors'], [{ index: 0, errors: ['client.ip: must be an IPv4 or IPv6 address'] }]);
    await r.dlq.next((m) => m.value.includes('"all-bad"'));
  });

  it('answers 415 problem+json to a content type it does not take', async () => {
    const response = await post(r, JSON.stringify(authEventInput({ id: 'plain-text' })), 'text/plain');
    assert.equal(response.status, 415);
    const problem = await problemOf(response);
    assert.equal(problem['status'], 415);
    assert.match(String(problem['detail']), /application\/json/);
  });

  it('answers 415 problem+json to a content type no parser knows', async () => {
    const response = await post(r, '<event/>', 'application/xml');
    assert.equal(response.status, 415);
    assert.equal((await problemOf(response))['status'], 415);
  });

  it('answers 413 problem+json to a body over the limit and publishes none of it', async () => {
    const events = Array.from({ length: 400 }, (_, i) => authEventInput({ id: `too-big-${i}` }));
    const body = JSON.stringify(events);
    assert.ok(body.length > 64 * 1024);
    const response = await post(r, body);
    assert.equal(response.status, 413);
    assert.equal((await problemOf(response))['status'], 413);
    // A later event of the same address shares the partition, so once it is read, any of the
    // refused body would have been read too.
    await postAccepted(r, [authEventInput({ id: 'after-too-big' })]);
    await r.events.next((m) => m.value.includes('"after-too-big"'));
    assert.equal(r.events.messages.filter((m) => m.value.includes('"too-big-')).length, 0);
  });
});

describe('the embedded Ratchet: problems raised by the HTTP layer', SUITE, () => {
  let r: Ratchet;
  before(async () => {
    r = await startRatchet();
  });
  after(async () => {
    await r.close();
  });

  // RFC 9457: with type about:blank, the title is the status phrase, for people to read.
  it('titles a problem of type about:blank with the HTTP status phrase', async () => {
    const tooLarge = await post(r, 'x'.repeat(65 * 1024));
    assert.equal(tooLarge.status, 413);
    const problem = await problemOf(tooLarge);
    assert.equal(problem['type'], 'about:blank');
    assert.equal(problem['title'], 'Payload Too Large');

    const unsupported = await post(r, '<event/>', 'application/xml');
    assert.equal((await problemOf(unsupported))['title'], 'Unsupported Media Type');
  });
});

describe('the embedded Ratchet: credential attacks', SUITE, () => {
  let r: Ratchet;
  before(async () => {
    r = await startRatchet();
  });
  after(async () => {
    await r.close();
  });

  it('denies an address at /authz for 15 minutes after twenty failed logins within five minutes', async () => {
    await postAccepted(r, failures('203.0.113.10', 20));
    const decision = await decisionAgainst(r, '203.0.113.10');
    assert.equal(decision.action, 'ingress.deny');
    assert.equal(decision.reason.signalType, 'brute_force');

    const denied = await authz(r, { 'x-real-ip': '203.0.113.10' });
    assert.equal(denied.status, 403);
    assert.equal(denied.headers.get('x-ratchet-decision'), 'deny');
    assert.equal(denied.headers.get('x-ratchet-action'), 'ingress.deny');
    assert.equal(denied.headers.get('x-ratchet-entity'), 'ip:203.0.113.10');
    assert.equal(denied.headers.get('x-ratchet-until'), new Date(NOW + FIFTEEN_MINUTES).toISOString());

    const other = await authz(r, { 'x-real-ip': '203.0.113.11' });
    assert.equal(other.status, 200);
    assert.equal(other.headers.get('x-ratchet-decision'), 'allow');
  });

  it('rate-limits, but does not deny, an address with nineteen failed logins', async () => {
    await postAccepted(r, failures('203.0.113.12', 19));
    await settled(r, '203.0.113.12');
    // One request a second: the first passes, the second within that second is told to wait.
    assert.equal((await authz(r, { 'x-real-ip': '203.0.113.12' })).status, 200);
    const limited = await authz(r, { 'x-real-ip': '203.0.113.12' });
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('x-ratchet-action'), 'ingress.rate-limit');
  });

  it('does not count failures that are more than five minutes apart towards one attack', async () => {
    const early = failures('203.0.113.13', 10, { idPrefix: 'early-' });
    const late = failures('203.0.113.13', 10, { idPrefix: 'late-', start: ATTACK_START + 6 * 60_000 });
    await postAccepted(r, [...early, ...late]);
    await settled(r, '203.0.113.13');
    assert.equal((await authz(r, { 'x-real-ip': '203.0.113.13' })).status, 200);
  });

  it('never denies an address with four failed logins', async () => {
    await postAccepted(r, failures('203.0.113.14', 4, { distinctPrincipals: true }));
    await settled(r, '203.0.113.14');
    assert.equal((await authz(r, { 'x-real-ip': '203.0.113.14' })).status, 200);
  });

  it('denies an address whose failed logins name ten distinct principals (password spray)', async () => {
    await postAccepted(r, failures('203.0.113.20', 10, { distinctPrincipals: true }));
    const decision = await decisionAgainst(r, '203.0.113.20');
    assert.equal(decision.reason.signalType, 'password_spray');
    const denied = await authz(r, { 'x-real-ip': '203.0.113.20' });
    assert.equal(denied.status, 403);
    assert.equal(denied.headers.get('x-ratchet-action'), 'ingress.deny');
  });

  it('asks for a second factor from, but does not deny, an address whose failed logins name nine distinct principals', async () => {
    await postAccepted(r, failures('203.0.113.21', 9, { distinctPrincipals: true }));
    await settled(r, '203.0.113.21');
    const answer = await authz(r, { 'x-real-ip': '203.0.113.21' });
    assert.equal(answer.status, 401);
    assert.equal(answer.headers.get('x-ratchet-action'), 'ingress.step-up');
  });

  it('does not count an event twice when the same ids are posted again', async () => {
    const events = failures('203.0.113.22', 19);
    await postAccepted(r, events);
    await postAccepted(r, events);
    await settled(r, '203.0.113.22');
    assert.equal((await authz(r, { 'x-real-ip': '203.0.113.22' })).status, 200);
  });

  it('never denies an allowlisted address, even after thirty failed logins it was detected for', async () => {
    await postAccepted(r, failures('192.0.2.30', 30));
    await r.signals.next((m) => m.key === 'ip:192.0.2.30');
    await settled(r, '192.0.2.30');
    assert.equal((await authz(r, { 'x-real-ip': '192.0.2.30' })).status, 200);
    assert.equal(r.actions.messages.filter((m) => actionOf(m).entity === 'ip:192.0.2.30').length, 0);
  });

  it('denies an IPv6 address that attacks, asked about with X-Real-IP', async () => {
    await postAccepted(r, failures('2001:db8::7', 20));
    await decisionAgainst(r, '2001:db8::7');
    const denied = await authz(r, { 'x-real-ip': '2001:db8::7' });
    assert.equal(denied.status, 403);
    assert.equal(denied.headers.get('x-ratchet-entity'), 'ip:2001:db8::7');
  });

  // Node, Envoy and dual-stack sources report IPv4 clients as ::ffff:a.b.c.d, and the schema
  // admits that form; /authz reports the same client as a.b.c.d.
  it('denies an attacker whose events carry its IPv4 address in IPv4-mapped IPv6 form', async () => {
    await postAccepted(r, failures('::ffff:203.0.113.70', 20));
    await r.actions.next((m) => actionOf(m).entity.endsWith('203.0.113.70'));
    assert.equal((await authz(r, { 'x-real-ip': '203.0.113.70' })).status, 403);
    assert.equal((await authz(r, { 'x-real-ip': '::ffff:203.0.113.70' })).status, 403);
  });

  it('denies an IPv6 attacker whatever letter case and zero compression its events use', async () => {
    await postAccepted(r, failures('2001:DB8:0:0::ABC', 20));
    await r.actions.next((m) => actionOf(m).entity.toLowerCase().endsWith('::abc'));
    assert.equal((await authz(r, { 'x-real-ip': '2001:db8::abc' })).status, 403);
  });

  it('resolves the client from X-Forwarded-For sent by a trusted proxy, skipping trusted hops', async () => {
    await postAccepted(r, failures('203.0.113.40', 20));
    await decisionAgainst(r, '203.0.113.40');

    const viaProxy = await authz(r, { 'x-forwarded-for': '203.0.113.40, 127.0.0.1' });
    assert.equal(viaProxy.status, 403);
    assert.equal(viaProxy.headers.get('x-ratchet-entity'), 'ip:203.0.113.40');

    // The hop next to the trusted proxy is not trusted, so nothing left of it is believed.
    const spoofed = await authz(r, { 'x-forwarded-for': '203.0.113.40, 198.18.0.1' });
    assert.equal(spoofed.status, 200);
  });
});

describe('the embedded Ratchet: GET /v1/chains', SUITE, () => {
  let r: Ratchet;
  before(async () => {
    r = await startRatchet();
  });
  after(async () => {
    await r.close();
  });

  it('lists the chains in force, the shipped defaults unless RATCHET_CHAINS names others, as their documents wrote them', async () => {
    const response = await fetch(`${r.url}/v1/chains`);
    assert.equal(response.status, 200);
    const body = (await response.json()) as { source: string; chains: Array<{ name: string; mode: string; spec: { match: string; steps: Array<{ if: string }> } }> };
    assert.match(body.source, /default-chains\.yaml$/);
    assert.deepEqual(body.chains.map((c) => c.name), ['credential-attack', 'account-takeover', 'east-west', 'control-plane']);
    const credentialAttack = body.chains[0];
    assert.equal(credentialAttack?.mode, 'enforce');
    assert.equal(credentialAttack?.spec.match, 'signal.type in ["brute_force", "password_spray", "credential_stuffing"]');
    assert.match(credentialAttack?.spec.steps[2]?.if ?? '', /signal\.evidence\.\?failures\.orValue\(0\) >= 20/);
  });
});

describe('the embedded Ratchet: forwarding headers from a peer that is not a trusted proxy', SUITE, () => {
  let r: Ratchet;
  before(async () => {
    r = await startRatchet({ trustedProxies: ['10.0.0.0/8'] });
  });
  after(async () => {
    await r.close();
  });

  it('judges the peer itself and ignores the address it claims to forward for', async () => {
    await postAccepted(r, failures('203.0.113.50', 20));
    await decisionAgainst(r, '203.0.113.50');
    assert.equal((await authz(r, { 'x-real-ip': '203.0.113.50' })).status, 200);
    assert.equal((await authz(r, { 'x-forwarded-for': '203.0.113.50' })).status, 200);

    await postAccepted(r, failures('127.0.0.1', 20));
    await decisionAgainst(r, '127.0.0.1');
    const peer = await authz(r, { 'x-real-ip': '203.0.113.51' });
    assert.equal(peer.status, 403);
    assert.equal(peer.headers.get('x-ratchet-entity'), 'ip:127.0.0.1');
  });
});

describe('the embedded Ratchet: decisions expire on time', SUITE, () => {
  let r: Ratchet;
  before(async () => {
    r = await startRatchet();
  });
  after(async () => {
    await r.close();
  });

  it('lists a decision until it expires, then allows the address again and stops listing it', async () => {
    await postAccepted(r, failures('203.0.113.60', 20));
    await decisionAgainst(r, '203.0.113.60');

    const listed = (await (await fetch(`${r.url}/v1/decisions`)).json()) as { decisions: Array<Record<string, unknown>> };
    const decision = listed.decisions.find((d) => d['entity'] === 'ip:203.0.113.60');
    assert.ok(decision, 'the decision is not listed');
    assert.equal(decision['action'], 'ingress.deny');
    assert.equal(decision['mode'], 'enforce');
    assert.equal(decision['decidedAt'], new Date(NOW).toISOString());
    assert.equal(decision['expiresAt'], new Date(NOW + FIFTEEN_MINUTES).toISOString());
    const reason = decision['reason'] as ActionReason;
    assert.equal(reason.chain, 'credential-attack');
    assert.equal(reason.step, 2, 'the deny is the third step of credential-attack, after step-up and rate limit');
    assert.equal(reason.signalType, 'brute_force');

    r.clock.advance(FIFTEEN_MINUTES - 1);
    assert.equal((await authz(r, { 'x-real-ip': '203.0.113.60' })).status, 403, 'allowed before the decision expired');

    r.clock.advance(1);
    const allowed = await authz(r, { 'x-real-ip': '203.0.113.60' });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.headers.get('x-ratchet-decision'), 'allow');
    const expired = (await (await fetch(`${r.url}/v1/decisions`)).json()) as { decisions: Array<Record<string, unknown>> };
    assert.equal(expired.decisions.find((d) => d['entity'] === 'ip:203.0.113.60'), undefined);
  });
});

interface EntityBody {
  entity: string;
  risk: { score: number; level: string; at: string; contributions: Array<Record<string, unknown> & { type: string; weight: number; current: number; at: string }> };
  explanation: string;
  signals: Array<Record<string, unknown> & { id: string; type: string; entity: string; at: string; eventIds: string[]; evidence: Record<string, unknown> }>;
  next?: string;
}

interface SignalsBody {
  signals: EntityBody['signals'];
  next?: string;
}

async function getJson<T>(r: Ratchet, path: string): Promise<T> {
  const response = await fetch(`${r.url}${path}`);
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()) as T;
}

/** A contribution's value after `elapsedMs` of its half-life, as the API rounds it. */
function decayed(weight: number, elapsedMs: number, halfLifeMs = 30 * 60_000): number {
  return Math.round(weight * Math.pow(2, -elapsedMs / halfLifeMs) * 100) / 100;
}

/**
 * The address detectors the API suites are written around, every other detector off, and
 * `auth.brute-force` signalling at 20 failures, the count the default chain denies at: one signal
 * per attack of twenty, which is what these suites explain and page through.
 */
const ADDRESS_ATTACKS_ONLY: EmbeddedConfig['detectors'] = {
  settings: { ...onlyDetectors('auth.brute-force', 'auth.password-spray'), 'auth.brute-force': { threshold: 20, window: '5m' } },
  feeds: [],
};

describe('the embedded Ratchet: GET /v1/entities/{entity}', SUITE, () => {
  let r: Ratchet;
  before(async () => {
    r = await startRatchet({ detectors: ADDRESS_ATTACKS_ONLY });
    await postAccepted(r, failures('203.0.113.80', 20));
    await decisionAgainst(r, '203.0.113.80');
  });
  after(async () => {
    await r.close();
  });

  it('answers the risk decayed to now, the brute force behind it, its evidence and the event that crossed the threshold', async () => {
    const body = await getJson<EntityBody>(r, '/v1/entities/ip:203.0.113.80');
    assert.equal(body.entity, 'ip:203.0.113.80');
    assert.equal(body.risk.at, new Date(r.clock.now()).toISOString());
    assert.equal(body.risk.contributions.length, 1);
    const [contribution] = body.risk.contributions;
    assert.ok(contribution);
    assert.equal(contribution.type, 'brute_force');
    assert.equal(contribution['detector'], 'auth.brute-force');
    // The twentieth failure (19 s into the attack) crossed the threshold; it is ten minutes old now.
    assert.equal(contribution.at, new Date(ATTACK_START + 19_000).toISOString());
    assert.deepEqual(contribution['eventIds'], ['203.0.113.80-19']);
    assert.deepEqual(contribution['evidence'], { failures: 20, threshold: 20, windowMs: 300_000 });
    assert.equal(contribution.current, decayed(contribution.weight, r.clock.now() - (ATTACK_START + 19_000)));
    assert.ok(contribution.current < contribution.weight);
    assert.equal(body.risk.score, contribution.current);
    // 90 × severity 0.8 × confidence 0.75 = 54 when it fired; about 43 ten minutes on: medium (25–50).
    assert.equal(contribution.weight, 54);
    assert.equal(body.risk.level, 'medium');

    assert.equal(body.signals.length, 1);
    assert.equal(body.signals[0]?.id, contribution['signalId']);
    assert.equal(body.signals[0]?.at, contribution.at);
    assert.deepEqual(body.signals[0]?.eventIds, ['203.0.113.80-19']);
    assert.equal(body.next, undefined);
    for (const named of ['ip:203.0.113.80', 'brute_force', 'auth.brute-force', '203.0.113.80-19', 'failures 20', 'window 5m']) {
      assert.ok(body.explanation.includes(named), `the explanation does not name ${named}: ${body.explanation}`);
    }
  });

  it('decays the score with the clock, halving it over a half-life, while the signals stay', async () => {
    const before = await getJson<EntityBody>(r, '/v1/entities/ip:203.0.113.80');
    r.clock.advance(30 * 60_000);
    try {
      const later = await getJson<EntityBody>(r, '/v1/entities/ip:203.0.113.80');
      const weight = later.risk.contributions[0]?.weight as number;
      assert.equal(later.risk.score, decayed(weight, r.clock.now() - (ATTACK_START + 19_000)));
      assert.ok(Math.abs(later.risk.score - before.risk.score / 2) <= 0.01, `${later.risk.score} is not half of ${before.risk.score}`);
      assert.equal(later.risk.level, 'low');
      assert.deepEqual(later.signals, before.signals);
    } finally {
      r.clock.advance(-30 * 60_000);
    }
  });

  it('answers the same entity however the reference is URL-encoded or the address spelled', async () => {
    await postAccepted(r, failures('2001:db8::80', 20));
    await decisionAgainst(r, '2001:db8::80');
    const plain = await getJson<EntityBody>(r, '/v1/entities/ip:2001:db8::80');
    assert.equal(plain.entity, 'ip:2001:db8::80');
    assert.deepEqual(await getJson<EntityBody>(r, `/v1/entities/${encodeURIComponent('ip:2001:DB8:0::80')}`), plain);
    assert.deepEqual(await getJson<EntityBody>(r, '/v1/entities/ip%3A203.0.113.80'), await getJson<EntityBody>(r, '/v1/entities/ip:203.0.113.80'));
  });

  it('answers 404 problem+json for an entity Ratchet holds nothing on, slashes in its id or not', async () => {
    const unknown = await fetch(`${r.url}/v1/entities/ip:203.0.113.250`);
    assert.equal(unknown.status, 404);
    const problem = await problemOf(unknown);
    assert.equal(problem['detail'], 'Ratchet holds no risk and no signal for ip:203.0.113.250');

    const service = 'svc:spiffe://cluster.local/ns/shop/sa/cart';
    for (const path of [encodeURIComponent(service), service]) {
      const response = await fetch(`${r.url}/v1/entities/${path}`);
      assert.equal(response.status, 404);
      assert.equal((await problemOf(response))['detail'], `Ratchet holds no risk and no signal for ${service}`);
    }
  });

  it('answers 400 problem+json naming the problem for a malformed entity reference', async () => {
    const cases: Array<[string, RegExp]> = [
      ['203.0.113.80', /^entity: "203\.0\.113\.80" is not an entity: use <kind>:<id> with kind one of ip, user, svc, token, device/],
      ['printer:lp0', /^entity: "printer:lp0" is not an entity/],
      ['user:', /^entity: "user:" is not an entity/],
      ['ip:203.0.113.256', /^entity: "203\.0\.113\.256" is not an IPv4 or IPv6 address$/],
      ['token%3A', /^entity: "token:" is not an entity/],
    ];
    for (const [path, detail] of cases) {
      const response = await fetch(`${r.url}/v1/entities/${path}`);
      assert.equal(response.status, 400, path);
      const problem = await problemOf(response);
      assert.equal(problem['status'], 400);
      assert.match(String(problem['detail']), detail);
    }
  });
});

describe('the embedded Ratchet: GET /v1/signals', SUITE, () => {
  let r: Ratchet;
  const ATTACKERS = ['203.0.113.90', '203.0.113.91', '203.0.113.92'];
  before(async () => {
    r = await startRatchet({ detectors: ADDRESS_ATTACKS_ONLY });
    // Three brute forces a minute apart, then a password spray.
    for (const [i, ip] of ATTACKERS.entries()) {
      await postAccepted(r, failures(ip, 20, { start: ATTACK_START + i * 60_000 }));
      await decisionAgainst(r, ip);
    }
    await postAccepted(r, failures('203.0.113.93', 10, { distinctPrincipals: true, start: ATTACK_START + 5 * 60_000 }));
    await decisionAgainst(r, '203.0.113.93');
  });
  after(async () => {
    await r.close();
  });

  const entitiesOf = (body: SignalsBody): string[] => body.signals.map((s) => s.entity);

  it('lists recent signals newest first, with their evidence and events', async () => {
    const body = await getJson<SignalsBody>(r, '/v1/signals');
    assert.deepEqual(entitiesOf(body), ['ip:203.0.113.93', 'ip:203.0.113.92', 'ip:203.0.113.91', 'ip:203.0.113.90']);
    assert.deepEqual(body.signals.map((s) => s.type), ['password_spray', 'brute_force', 'brute_force', 'brute_force']);
    assert.deepEqual(body.signals[1]?.eventIds, ['203.0.113.92-19']);
    assert.equal(body.signals[1]?.at, new Date(ATTACK_START + 2 * 60_000 + 19_000).toISOString());
    assert.equal(body.signals[1]?.evidence['failures'], 20);
    assert.equal(body.next, undefined);
  });

  it('filters by type, detector and entity', async () => {
    assert.deepEqual(entitiesOf(await getJson(r, '/v1/signals?type=password_spray')), ['ip:203.0.113.93']);
    assert.deepEqual(entitiesOf(await getJson(r, '/v1/signals?detector=auth.brute-force')), ['ip:203.0.113.92', 'ip:203.0.113.91', 'ip:203.0.113.90']);
    assert.deepEqual(entitiesOf(await getJson(r, `/v1/signals?entity=${encodeURIComponent('ip:203.0.113.91')}`)), ['ip:203.0.113.91']);
    assert.deepEqual(entitiesOf(await getJson(r, '/v1/signals?entity=ip:203.0.113.91&type=password_spray')), []);
  });

  it('filters by event time, since inclusive and until exclusive, in ISO-8601 or epoch milliseconds', async () => {
    const second = ATTACK_START + 60_000 + 19_000;
    const third = ATTACK_START + 2 * 60_000 + 19_000;
    const iso = await getJson<SignalsBody>(r, `/v1/signals?since=${new Date(second).toISOString()}&until=${new Date(third).toISOString()}`);
    assert.deepEqual(entitiesOf(iso), ['ip:203.0.113.91']);
    assert.deepEqual(await getJson(r, `/v1/signals?since=${second}&until=${third}`), iso);
    assert.deepEqual(entitiesOf(await getJson(r, `/v1/signals?since=${third}&detector=auth.brute-force`)), ['ip:203.0.113.92']);
  });

  it('pages with limit and the cursor of the previous page until no page follows', async () => {
    const first = await getJson<SignalsBody>(r, '/v1/signals?limit=3');
    assert.deepEqual(entitiesOf(first), ['ip:203.0.113.93', 'ip:203.0.113.92', 'ip:203.0.113.91']);
    assert.ok(first.next);
    const second = await getJson<SignalsBody>(r, `/v1/signals?limit=3&cursor=${first.next}`);
    assert.deepEqual(entitiesOf(second), ['ip:203.0.113.90']);
    assert.equal(second.next, undefined);
    // `until` pages too: everything before the oldest signal seen.
    const older = await getJson<SignalsBody>(r, `/v1/signals?limit=3&until=${encodeURIComponent(first.signals[2]?.at as string)}`);
    assert.deepEqual(older.signals, second.signals);
  });

  it('answers 400 problem+json naming the parameter for an invalid filter', async () => {
    const cases: Array<[string, string]> = [
      ['limit=0', 'limit: "0" must be a whole number from 1 to 1000'],
      ['limit=1001', 'limit: "1001" must be a whole number from 1 to 1000'],
      ['since=yesterday', 'since: "yesterday" is not a time: use ISO-8601 with a zone (2026-11-24T10:00:00Z) or epoch milliseconds'],
      ['until=2026-11-24T10:00:00', 'until: "2026-11-24T10:00:00" is not a time: use ISO-8601 with a zone (2026-11-24T10:00:00Z) or epoch milliseconds'],
      [`since=${ATTACK_START}&until=${ATTACK_START}`, 'until: must be later than since'],
      ['entity=alice', 'entity: "alice" is not an entity: use <kind>:<id> with kind one of ip, user, svc, token, device (ip:203.0.113.9, user:alice@example.com)'],
      ['cursor=not-a-cursor', 'cursor: is not a cursor this API answered (pass the "next" of the previous page as it is)'],
      ['type=brute_force&type=password_spray', 'type: is given more than once'],
      ['entitiy=ip:203.0.113.90', 'entitiy: is not a parameter (use type, entity, detector, since, until, limit, cursor)'],
    ];
    for (const [query, detail] of cases) {
      const response = await fetch(`${r.url}/v1/signals?${query}`);
      assert.equal(response.status, 400, query);
      assert.equal((await problemOf(response))['detail'], detail);
    }
  });
});

describe('the embedded Ratchet: detector settings and threat-intel feeds from configuration', SUITE, () => {
  let r: Ratchet;
  const fixture = (name: string): string => join(__dirname, 'fixtures', name);
  before(async () => {
    const detectors = readDetectorConfig({ RATCHET_DETECTORS: fixture('detectors.json'), RATCHET_INTEL_BLOCKLISTS: `ipsum:${fixture('ipsum.txt')}` }, NOW);
    r = await startRatchet({ detectors });
  });
  after(async () => {
    await r.close();
  });

  it('flags an event from an address an ipsum feed names, with the feed as evidence', async () => {
    await postAccepted(r, [authEventInput({ id: 'from-ipsum', client: { ip: '198.51.100.166' }, outcome: 'success' })]);
    await r.signals.next((m) => m.key === 'ip:198.51.100.166');
    const body = await getJson<EntityBody>(r, '/v1/entities/ip:198.51.100.166');
    assert.equal(body.risk.contributions[0]?.type, 'blocklisted_address');
    assert.deepEqual(body.signals[0]?.evidence, { feed: 'ipsum.txt', indicator: '198.51.100.166', confidence: 1, labels: '' });
    assert.deepEqual(body.signals[0]?.eventIds, ['from-ipsum']);
    assert.ok(body.explanation.includes('feed ipsum.txt'), body.explanation);
  });

  it('fires the brute force at the threshold and window of the settings file', async () => {
    await postAccepted(r, failures('203.0.113.95', 30));
    await decisionAgainst(r, '203.0.113.95');
    const { signals } = await getJson<SignalsBody>(r, '/v1/signals?entity=ip:203.0.113.95&detector=auth.brute-force');
    assert.equal(signals.length, 1);
    assert.deepEqual(signals[0]?.evidence, { failures: 30, threshold: 30, windowMs: 600_000 });
    assert.deepEqual(signals[0]?.eventIds, ['203.0.113.95-29']);
  });
});

describe('the embedded Ratchet: health and metrics', SUITE, () => {
  let r: Ratchet;
  before(async () => {
    r = await startRatchet();
  });
  after(async () => {
    await r.close();
  });

  it('answers /healthz with 200', async () => {
    const response = await fetch(`${r.url}/healthz`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'ok' });
  });

  it('answers /readyz with 200 once the decisions are loaded', async () => {
    const response = await fetch(`${r.url}/readyz`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { ready: true, checks: { decisions: true } });
  });

  it('counts accepted events in ratchet_collector_events_accepted_total at /metrics', async () => {
    const accepted = async (): Promise<number> => {
      const response = await fetch(`${r.url}/metrics`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
      const line = /^ratchet_collector_events_accepted_total (\d+)$/m.exec(await response.text());
      assert.ok(line, 'ratchet_collector_events_accepted_total is not exposed');
      return Number(line[1]);
    };
    const before = await accepted();
    await postAccepted(r, [authEventInput({ id: 'metric-1' }), authEventInput({ id: 'metric-2' })]);
    assert.equal(await accepted(), before + 2);
  });
});
