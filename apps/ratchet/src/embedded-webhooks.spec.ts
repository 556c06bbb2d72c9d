import 'reflect-metadata';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AuthEventInput } from '@ratchet/contracts';
import { SIGNATURE_HEADER, verifyWebhookSignature, type WebhookBody } from '@ratchet/enforcer';
import { ManualClock } from '@ratchet/kernel';
import { MemoryEventLog } from '@ratchet/platform';
import { authEventInput } from '@ratchet/testing';
import { readEmbeddedConfig } from './config';
import { startEmbedded } from './embedded-app';

const NOW = Date.parse('2026-11-24T10:10:00.000Z');
const SECRET = 'soc-webhook-secret-0123456789';
/** Guards against a hang; not a performance assertion. */
const SUITE = { timeout: 60_000 };

interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver on loopback that hands over each delivery as it arrives. */
class Receiver {
  readonly deliveries: Delivery[] = [];
  private readonly waiters: Array<{ done: (deliveries: readonly Delivery[]) => boolean; resolve: () => void }> = [];
  private readonly server: Server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      this.deliveries.push({ headers: request.headers, body });
      response.writeHead(204).end();
      for (const waiter of this.waiters.filter((w) => w.done(this.deliveries))) waiter.resolve();
    });
  });

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/ratchet`;
  }

  /** Resolves once the deliveries so far satisfy `done`. */
  received(done: (deliveries: readonly Delivery[]) => boolean): Promise<void> {
    if (done(this.deliveries)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ done, resolve }));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * The embedded shape configured as an operator would (`RATCHET_WEBHOOKS` naming a YAML file):
 * a refresh token reused from another network is an account-takeover sign, and the default chain
 * revokes the sessions and tells the SOC — both as signed webhooks to a receiver.
 */
describe('the embedded Ratchet: notify and session.revoke as signed webhooks', SUITE, () => {
  const folder = mkdtempSync(join(tmpdir(), 'ratchet-webhooks-'));
  const receiver = new Receiver();
  let app: NestFastifyApplication;
  let url: string;

  before(async () => {
    const receiverUrl = await receiver.listen();
    const file = join(folder, 'webhooks.yaml');
    writeFileSync(file, ['receivers:', '  - name: soc', `    url: ${receiverUrl}`, `    secret: ${SECRET}`, '    format: json', ''].join('\n'));
    const config = readEmbeddedConfig({ RATCHET_PORT: '0', RATCHET_HOST: '127.0.0.1', LOG_LEVEL: 'error', RATCHET_WEBHOOKS: file });
    app = await startEmbedded(config, { clock: new ManualClock(NOW), eventLog: new MemoryEventLog() });
    url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });

  after(async () => {
    await app?.close();
    await receiver.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('sends the revocation and the notification, each signed with the receiver’s secret', async () => {
    const use = (ip: string, asn: number, minute: number): AuthEventInput =>
      authEventInput({
        time: new Date(NOW - 10 * 60_000 + minute * 60_000).toISOString(),
        action: 'token',
        outcome: 'success',
        client: { ip, asn: { number: asn }, sessionId: 'sess-7Hq2' },
        principal: { type: 'user', id: 'alice@example.com' },
      });
    const posted = await fetch(`${url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([use('198.51.100.10', 3320, 0), use('203.0.113.50', 14061, 5)]),
    });
    assert.equal(posted.status, 202);

    // The reuse is signalled on the token and on its user; the chain acts on both.
    const aboutAlice = (deliveries: readonly Delivery[]): string[] =>
      deliveries
        .map((d) => JSON.parse(d.body) as WebhookBody)
        .filter((b) => b.entity === 'user:alice@example.com')
        .map((b) => `${b.action} ${b.state} by ${b.reason.chain}: ${b.reason.signalType}`)
        .sort();
    await receiver.received((deliveries) => aboutAlice(deliveries).length >= 2);
    assert.deepEqual(aboutAlice(receiver.deliveries), ['notify applied by account-takeover: token_reuse', 'session.revoke applied by account-takeover: token_reuse']);
    for (const delivery of receiver.deliveries) {
      const header = delivery.headers[SIGNATURE_HEADER] as string | undefined;
      const nowS = Math.floor(NOW / 1000);
      assert.deepEqual(verifyWebhookSignature(header, delivery.body, SECRET, nowS), { ok: true, timestampS: nowS });
      assert.equal(verifyWebhookSignature(header, delivery.body.replace('account-takeover', 'something-else'), SECRET, nowS).ok, false);
    }
  });
});
