import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { compileAllowlist, compileChains, DEFAULT_ACTION_CAPS } from '@ratchet/chains';
import type { EnforcementAction, LogMessage, RiskScore } from '@ratchet/contracts';
import { ManualClock, type EntityRef } from '@ratchet/kernel';
import { MemoryDecisionStore, MemoryEventLog, RatchetMetrics, Readiness, type DecodedMessage } from '@ratchet/platform';
import { DEFAULT_RISK_MODEL } from '@ratchet/risk';
import { deferred, enforcementAction } from '@ratchet/testing';
import { ChainSetService } from '../chain-set.service';
import { DecisionMirrorService } from '../decision-mirror.service';
import { EnforcementService } from '../enforcement.service';
import { CAEP_SESSION_REVOKED, deliveryId, verifySet, verifyWebhookSignature } from './webhook-messages';
import { compileWebhookSettings } from './webhook-receivers';
import { WebhookSender } from './webhook-sender.service';

const NOW = Date.parse('2026-03-14T09:27:00.000Z');
const NOW_S = NOW / 1000;
const SECRET = 'whsec-7f3a9c21d4b8e605';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A real HTTP receiver on a free loopback port; `answer` decides each request's fate (`hang`: never answer). */
async function receiver(answer: (n: number) => number | 'hang') {
  const requests: Received[] = [];
  const waiting: Array<{ count: number; resolve: () => void }> = [];
  const hung: ServerResponse[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const fate = answer(requests.length);
      if (fate === 'hang') hung.push(res);
      else res.writeHead(fate, { 'content-type': 'application/json' }).end(fate >= 400 ? '{"err":"invalid_request","description":"try later"}' : '');
      for (const w of waiting.filter((w) => requests.length >= w.count)) w.resolve();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(async () => {
    for (const res of hung) res.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/ratchet`,
    requests,
    /** Resolves once `count` requests have arrived. */
    received(count: number): Promise<Received[]> {
      const d = deferred();
      if (requests.length >= count) d.resolve();
      else waiting.push({ count, resolve: d.resolve });
      return d.promise.then(() => requests);
    },
  };
}

/** Records what is published to `enforcement.actions`, and resolves `published` on the first record. */
function recordingLog() {
  const records: EnforcementAction[] = [];
  const first = deferred<EnforcementAction>();
  return {
    records,
    published: first.promise,
    async publish(_topic: string, messages: readonly LogMessage[]): Promise<void> {
      for (const m of messages) {
        const action = JSON.parse(m.value) as EnforcementAction;
        records.push(action);
        first.resolve(action);
      }
    },
  };
}

function sender(receivers: unknown[], log = recordingLog()) {
  const settings = compileWebhookSettings({ issuer: 'https://ratchet.example.com', backoff: '1ms', receivers }, {});
  const webhooks = new WebhookSender(settings, log, new ManualClock(NOW));
  closers.push(() => webhooks.onApplicationShutdown());
  return { webhooks, log };
}

const closers: Array<() => Promise<void>> = [];
after(async () => {
  for (const close of closers.reverse()) await close();
});

const NOTIFY = enforcementAction('notify', 'ip:203.0.113.7', { params: { severity: 'critical' } });
const REVOKE = enforcementAction('session.revoke', 'user:alice@example.com', {
  reason: { chain: 'account-takeover', step: 1, signalType: 'token_reuse', signalId: 'sig-41', score: 82 },
});

describe('WebhookSender', () => {
  it('posts the action as JSON with a signature the receiver verifies over the raw body', async () => {
    const hook = await receiver(() => 204);
    const { webhooks } = sender([{ name: 'soc', url: hook.url, secret: SECRET }]);
    webhooks.dispatch([NOTIFY]);
    const [request] = await hook.received(1);
    assert.ok(request);
    assert.equal(request.headers['content-type'], 'application/json');
    assert.equal(request.headers['x-ratchet-delivery'], deliveryId(NOTIFY));
    const signature = request.headers['x-ratchet-signature'] as string;
    assert.deepEqual(verifyWebhookSignature(signature, request.body, SECRET, NOW_S), { ok: true, timestampS: NOW_S });
    const body = JSON.parse(request.body) as Record<string, unknown>;
    assert.deepEqual([body['action'], body['state'], body['entity'], body['params']], ['notify', 'applied', 'ip:203.0.113.7', { severity: 'critical' }]);
    const tampered = request.body.replace('"critical"', '"info"');
    assert.equal(verifyWebhookSignature(signature, tampered, SECRET, NOW_S).ok, false);
  });

  it('pushes a session revocation to a CAEP receiver as a SET signed with its secret', async () => {
    const idp = await receiver(() => 202);
    const { webhooks } = sender([{ name: 'idp', url: idp.url, secret: SECRET, format: 'caep', audience: 'https://idp.example.com' }]);
    webhooks.dispatch([REVOKE, NOTIFY]);
    const [request] = await idp.received(1);
    assert.ok(request);
    assert.equal(request.headers['content-type'], 'application/secevent+jwt');
    const checked = verifySet(request.body, SECRET);
    assert.ok(checked.ok, checked.ok ? '' : checked.problem);
    assert.equal(checked.claims['iss'], 'https://ratchet.example.com');
    assert.equal(checked.claims['aud'], 'https://idp.example.com');
    assert.equal(checked.claims['iat'], NOW_S);
    assert.equal(checked.claims['jti'], deliveryId(REVOKE));
    assert.deepEqual(checked.claims['sub_id'], { format: 'email', email: 'alice@example.com' });
    const event = (checked.claims['events'] as Record<string, Record<string, unknown>>)[CAEP_SESSION_REVOKED];
    assert.equal(event?.['event_timestamp'], Math.floor(REVOKE.decidedAt / 1000));
    await webhooks.idle();
    assert.equal(idp.requests.length, 1, 'the notify is not for a caep receiver');
  });

  it('retries a receiver that answers 500 until it accepts, with the same delivery id, and records no failure', async () => {
    const hook = await receiver((n) => (n < 3 ? 500 : 200));
    const { webhooks, log } = sender([{ name: 'soc', url: hook.url, secret: SECRET, retries: 3 }]);
    webhooks.dispatch([NOTIFY]);
    const requests = await hook.received(3);
    await webhooks.idle();
    assert.deepEqual(new Set(requests.map((r) => r.headers['x-ratchet-delivery'])), new Set([deliveryId(NOTIFY)]));
    assert.deepEqual(log.records, []);
  });

  it('records the action failed, naming the receiver, when the receiver never answers', async () => {
    const hook = await receiver(() => 'hang');
    const { webhooks, log } = sender([{ name: 'pager', url: hook.url, secret: SECRET, timeout: '50ms', retries: 1 }]);
    webhooks.dispatch([NOTIFY]);
    const failed = await log.published;
    assert.equal(hook.requests.length, 2);
    assert.equal(failed.id, NOTIFY.id);
    assert.equal(failed.state, 'failed');
    assert.deepEqual(failed.failure, { reason: 'webhook', detail: 'pager: applied notify not delivered after 2 attempts: no answer within 50ms' });
  });

  it('does not retry a receiver that refuses the request, and quotes its RFC 8935 error', async () => {
    const hook = await receiver(() => 400);
    const { webhooks, log } = sender([{ name: 'idp', url: hook.url, secret: SECRET, format: 'caep' }]);
    webhooks.dispatch([REVOKE]);
    const failed = await log.published;
    assert.equal(hook.requests.length, 1);
    assert.equal(failed.failure?.detail, 'idp: applied session.revoke not delivered after 1 attempt: HTTP 400 (invalid_request: try later)');
  });

  it('sends one action, state and decision once per receiver however often it is handed over', async () => {
    const hook = await receiver(() => 200);
    const { webhooks } = sender([{ name: 'soc', url: hook.url, secret: SECRET }]);
    webhooks.dispatch([NOTIFY, { ...NOTIFY }]);
    webhooks.dispatch([NOTIFY, { ...NOTIFY, state: 'reverted' }]);
    await webhooks.idle();
    assert.deepEqual(hook.requests.map((r) => (JSON.parse(r.body) as { state: string }).state).sort(), ['applied', 'reverted']);
  });

  it('lets the enforcer finish its batch while a receiver is still holding the request', async () => {
    const hook = await receiver(() => 'hang');
    const { webhooks } = sender([{ name: 'soc', url: hook.url, secret: SECRET, timeout: '60s', retries: 0 }]);
    const clock = new ManualClock(NOW);
    const store = new MemoryDecisionStore();
    const metrics = new RatchetMetrics();
    const mirror = new DecisionMirrorService(store, clock, metrics, new Readiness());
    await mirror.onModuleInit();
    closers.push(() => mirror.onApplicationShutdown());
    const chains = new ChainSetService(
      undefined,
      compileChains([{ apiVersion: 'ratchet.dev/v1', kind: 'Chain', metadata: { name: 'tell' }, spec: { match: 'true', steps: [{ if: 'score >= 40', then: [{ action: 'notify', ttl: '1h' }] }] } }]),
    );
    const settings = { allowlist: compileAllowlist([]), caps: DEFAULT_ACTION_CAPS, riskModel: DEFAULT_RISK_MODEL, relaxEveryMs: 30_000 };
    const enforcer = new EnforcementService(settings, chains, store, new MemoryEventLog(), clock, metrics, mirror, webhooks);
    closers.push(() => enforcer.onApplicationShutdown());

    const recorded = await enforcer.processBatch([score('ip:203.0.113.7', 55)]);
    assert.deepEqual(recorded.map((a) => `${a.state} ${a.action}`), ['applied notify']);
    const [request] = await hook.received(1);
    assert.equal((JSON.parse(request?.body ?? '{}') as { entity: string }).entity, 'ip:203.0.113.7');
  });
});

function score(entity: EntityRef, weight: number): DecodedMessage<RiskScore> {
  const trigger = { v: 1 as const, id: 'sig-1', type: 'brute_force', detector: 'auth.brute-force', entity, severity: 1, confidence: 1, at: NOW, evidence: { failures: 20 }, eventIds: ['evt-1'] };
  return {
    value: { v: 1, entity, score: weight, level: 'high', at: NOW, contributions: [{ type: 'brute_force', detector: 'auth.brute-force', signalId: trigger.id, weight, current: weight, at: NOW }], trigger },
    headers: {},
    key: entity,
    offset: '1',
    timestamp: NOW,
  };
}
