import 'reflect-metadata';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { HEADERS, TOPICS, type AuthEvent, type LogMessage } from '@ratchet/contracts';
import { ManualClock } from '@ratchet/kernel';
import { createHttpApp, MemoryEventLog, PlatformModule } from '@ratchet/platform';
import { jsonMappingParser, sourceCatalogue } from '@ratchet/sources';
import { retainedAfter } from '@ratchet/testing';
import { registerIngestBodyParsers } from './body-parsers';
import { CollectorModule } from './collector.module';

/** A memory log that also keeps what was published, per topic, in order. */
class RecordingEventLog extends MemoryEventLog {
  readonly published = new Map<string, LogMessage[]>();
  override async publish(topic: string, messages: readonly LogMessage[]): Promise<void> {
    this.published.set(topic, [...(this.published.get(topic) ?? []), ...messages]);
    await super.publish(topic, messages);
  }
  events(): AuthEvent[] {
    return (this.published.get(TOPICS.authEvents) ?? []).map((m) => JSON.parse(m.value) as AuthEvent);
  }
  deadLetters(): LogMessage[] {
    return this.published.get(TOPICS.authEventsDlq) ?? [];
  }
}

/** An application's own JSON log, defined by mapping as an operator would in RATCHET_SOURCES. */
const loginAudit = jsonMappingParser('login-audit', {
  envelope: { records: 'entries' },
  fields: {
    time: 'at',
    id: 'uuid',
    'client.ip': 'ip',
    'principal.id': 'user',
    outcome: { path: 'ok', map: { true: 'success', false: 'failure' } },
  },
  constants: { plane: 'north-south', action: 'login' },
});

const consoleLogin = (eventID: string, result: 'Success' | 'Failure', ip = '203.0.113.50'): Record<string, unknown> => ({
  eventVersion: '1.09',
  userIdentity: { type: 'IAMUser', principalId: 'AIDAQ3EGV2EXAMPLEID1', arn: 'arn:aws:iam::111122223333:user/alice', accountId: '111122223333', userName: 'alice' },
  eventTime: '2026-03-02T08:15:41Z',
  eventSource: 'signin.amazonaws.com',
  eventName: 'ConsoleLogin',
  sourceIPAddress: ip,
  userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:124.0) Gecko/20100101 Firefox/124.0',
  ...(result === 'Failure' ? { errorMessage: 'Failed authentication' } : {}),
  responseElements: { ConsoleLogin: result },
  additionalEventData: { MFAUsed: 'No' },
  eventID,
  recipientAccountId: '111122223333',
});

const oktaSignIn = (uuid: string, result: 'SUCCESS' | 'FAILURE'): Record<string, unknown> => ({
  uuid,
  published: '2026-03-02T08:14:07.412Z',
  eventType: 'user.session.start',
  actor: { id: '00u1a2b3c4d5E6f7G8h9', type: 'User', alternateId: 'alice@example.com' },
  client: { ipAddress: '198.51.100.24' },
  outcome: { result, reason: result === 'FAILURE' ? 'INVALID_CREDENTIALS' : null },
});

describe('POST /v1/ingest/{source}: vendor batches and configured sources', { timeout: 60_000 }, () => {
  let app: NestFastifyApplication;
  let url: string;
  let log: RecordingEventLog;

  before(async () => {
    log = new RecordingEventLog();
    @Module({ imports: [PlatformModule.memory({ eventLog: log, clock: new ManualClock(Date.parse('2026-03-02T09:00:00Z')) }), CollectorModule.forRoot({ sources: sourceCatalogue([loginAudit]) })] })
    class SpecModule {}
    app = await createHttpApp(SpecModule, {
      bodyLimit: 65_536,
      logFormat: 'json',
      logLevels: ['fatal'],
      configure: (a) => registerIngestBodyParsers(a.getHttpAdapter().getInstance(), 65_536),
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });

  after(async () => {
    await app.close();
  });

  const post = (source: string, body: unknown, contentType = 'application/json'): Promise<Response> =>
    fetch(`${url}/v1/ingest/${source}`, { method: 'POST', headers: { 'content-type': contentType }, body: typeof body === 'string' ? body : JSON.stringify(body) });

  it('opens a CloudTrail file and reads, ignores or dead-letters each record, named by its position', async () => {
    const broken = { eventTime: '2026-03-02T08:16:00Z', responseElements: { ConsoleLogin: 'Failure' } };
    const listBuckets = { eventName: 'ListBuckets', eventTime: '2026-03-02T08:16:01Z', eventID: 'b1' };
    const response = await post('cloudtrail', { Records: [consoleLogin('ct-1', 'Failure'), listBuckets, broken] });
    assert.equal(response.status, 202);
    assert.deepEqual(await response.json(), { accepted: 1, ignored: 1, rejected: [{ index: 0, errors: ['Records[2]: eventName: is required'] }] });
    const event = log.events().find((e) => e.id === 'cloudtrail:ct-1');
    assert.equal(event?.outcome, 'failure');
    assert.equal(event?.client?.ip, '203.0.113.50');
    const dead = log.deadLetters().at(-1);
    assert.deepEqual(JSON.parse(dead?.value ?? 'null'), broken, 'the dead letter is the record itself, replayable alone');
    assert.equal(dead?.headers?.[HEADERS.errors], 'Records[2]: eventName: is required');
  });

  it('reads every event of an Okta event hook delivery', async () => {
    const hook = { eventType: 'com.okta.event_hook', eventTypeVersion: '1.0', eventId: 'hook-1', data: { events: [oktaSignIn('ok-1', 'FAILURE'), oktaSignIn('ok-2', 'SUCCESS')] } };
    const response = await post('okta', hook);
    assert.deepEqual(await response.json(), { accepted: 2, ignored: 0, rejected: [] });
    assert.deepEqual(log.events().filter((e) => e.id.startsWith('okta:ok-')).map((e) => [e.id, e.outcome]), [['okta:ok-1', 'failure'], ['okta:ok-2', 'success']]);
  });

  it('reads a Kubernetes audit webhook EventList, batches sent as NDJSON lines keeping their line index', async () => {
    const audit = (auditID: string, code: number) => ({
      kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'Metadata', auditID, stage: 'ResponseComplete', requestURI: '/api/v1/namespaces/shop/secrets', verb: 'list',
      user: { username: 'system:serviceaccount:shop:cart' }, sourceIPs: ['10.244.1.7'], objectRef: { resource: 'secrets', namespace: 'shop', apiVersion: 'v1' },
      responseStatus: { code }, requestReceivedTimestamp: '2026-03-02T08:20:00.000000Z', stageTimestamp: '2026-03-02T08:20:00.004000Z',
    });
    const lines = [JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: [audit('a-1', 403), audit('a-2', 200)] }), JSON.stringify({ kind: 'EventList', items: 'none' })];
    const response = await post('k8s-audit', lines.join('\n'), 'application/x-ndjson');
    assert.deepEqual(await response.json(), { accepted: 2, ignored: 0, rejected: [{ index: 1, errors: ['items: must be an array of records (Kubernetes audit EventList)'] }] });
  });

  it('counts an empty Microsoft Graph page as ignored rather than refusing the request', async () => {
    const response = await post('entra', { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns', value: [] });
    assert.equal(response.status, 202);
    assert.deepEqual(await response.json(), { accepted: 0, ignored: 1, rejected: [] });
  });

  it('answers 422 naming the path when the only batch is not an array', async () => {
    const response = await post('cloudtrail', { Records: { eventName: 'ConsoleLogin' } });
    assert.equal(response.status, 422);
    assert.match(((await response.json()) as { detail: string }).detail, /Records: must be an array of records \(CloudTrail log file\)/);
  });

  it('reads a configured source by its mapping, its own envelope included', async () => {
    const entries = [
      { uuid: 'la-1', at: '2026-03-02T08:30:00Z', ip: '192.0.2.10', user: 'erin', ok: false },
      { uuid: 'la-2', at: '2026-03-02T08:30:05Z', ip: 'nowhere', user: 'erin', ok: true },
    ];
    const response = await post('login-audit', { entries });
    assert.deepEqual(await response.json(), { accepted: 1, ignored: 0, rejected: [{ index: 0, errors: ['entries[1]: ip: "nowhere" is not an IPv4 or IPv6 address'] }] });
    const event = log.events().find((e) => e.id === 'login-audit:la-1');
    assert.deepEqual(
      { source: event?.source, action: event?.action, outcome: event?.outcome, principal: event?.principal, client: event?.client },
      { source: { kind: 'login-audit' }, action: 'login', outcome: 'failure', principal: { type: 'user', id: 'erin' }, client: { ip: '192.0.2.10', scope: 'public' } },
    );
  });

  describe('a shipper run as one stream (x-ratchet-stream, x-ratchet-stream-batch)', () => {
    // One client retrying a login within one second of NGINX's log resolution: identical lines.
    const line = '203.0.113.77 - - [02/Mar/2026:08:59:58 +0000] "POST /login HTTP/1.1" 401 19 "-" "curl/8.5.0"';
    const send = (lines: number, headers: Record<string, string>): Promise<Response> =>
      fetch(`${url}/v1/ingest/nginx-access`, { method: 'POST', headers: { 'content-type': 'text/plain', ...headers }, body: Array.from({ length: lines }, () => line).join('\n') });
    const idsSince = (before: number): string[] => log.events().slice(before).map((e) => e.id);

    it('numbers a repeated line across the batches of one stream, so none collapses into another', async () => {
      const before = log.events().length;
      for (const [batch, lines] of [[0, 2], [1, 3]] as const) {
        assert.equal((await send(lines, { 'x-ratchet-stream': 'run-a', 'x-ratchet-stream-batch': String(batch) })).status, 202);
      }
      const ids = idsSince(before);
      assert.equal(ids.length, 5);
      assert.equal(new Set(ids).size, 5);
    });

    it('numbers a retried batch as it was the first time, and a new run from the start', async () => {
      const before = log.events().length;
      await send(2, { 'x-ratchet-stream': 'run-b', 'x-ratchet-stream-batch': '0' });
      await send(2, { 'x-ratchet-stream': 'run-b', 'x-ratchet-stream-batch': '1' });
      await send(2, { 'x-ratchet-stream': 'run-b', 'x-ratchet-stream-batch': '1' });
      await send(4, { 'x-ratchet-stream': 'run-c', 'x-ratchet-stream-batch': '0' });
      const [first = [], second = [], retry = [], rerun = []] = [0, 2, 4, 6].map((at) => idsSince(before).slice(at, at === 6 ? 10 : at + 2));
      assert.deepEqual(retry, second, 'a retry yields the same ids, which the scorer counts once');
      assert.deepEqual(rerun, [...first, ...second], 'a new run re-sending the file yields the same ids again');
    });

    it('refuses a stream without its batch number, or a malformed one, naming the headers', async () => {
      const malformed: Array<Record<string, string>> = [{ 'x-ratchet-stream': 'run-d' }, { 'x-ratchet-stream': 'run d', 'x-ratchet-stream-batch': '0' }, { 'x-ratchet-stream-batch': 'one' }];
      for (const headers of malformed) {
        const response = await send(1, headers);
        assert.equal(response.status, 400);
        assert.match(((await response.json()) as { detail: string }).detail, /x-ratchet-stream .* x-ratchet-stream-batch/);
      }
    });
  });

  describe("sshd's lines of one connection read together within a stream, never across streams", () => {
    const sshd = (lines: readonly string[], headers: Record<string, string> = {}): Promise<Response> =>
      fetch(`${url}/v1/ingest/sshd`, { method: 'POST', headers: { 'content-type': 'text/plain', ...headers }, body: lines.join('\n') });
    const stream = (name: string, batch: number): Record<string, string> => ({ 'x-ratchet-stream': name, 'x-ratchet-stream-batch': String(batch) });
    const failuresSince = (before: number): string[][] =>
      log
        .events()
        .slice(before)
        .map((e) => [e.outcome, e.principal?.id ?? '', e.client?.ip ?? '']);
    const tooMany = 'Mar  2 08:59:40 bastion-1 sshd[9001]: Disconnecting: Too many authentication failures for root [preauth]';

    it('keeps two interleaved streams apart, though their connections have the same host and pid', async () => {
      const before = log.events().length;
      assert.deepEqual(await (await sshd([tooMany], stream('host-logs-a', 0))).json(), { accepted: 0, ignored: 1, rejected: [] });
      const otherEnd = 'Mar  2 08:59:41 bastion-1 sshd[9001]: Connection closed by 203.0.113.91 port 40100 [preauth]';
      assert.deepEqual(await (await sshd([otherEnd], stream('host-logs-b', 0))).json(), { accepted: 0, ignored: 1, rejected: [] }, 'a probe in the other stream');
      const end = 'Mar  2 08:59:42 bastion-1 sshd[9001]: Connection closed by 203.0.113.90 port 40000 [preauth]';
      assert.deepEqual(await (await sshd([end], stream('host-logs-a', 1))).json(), { accepted: 1, ignored: 0, rejected: [] });
      assert.deepEqual(failuresSince(before), [['failure', 'root', '203.0.113.90']]);
    });

    it("reads a retried batch against the stream's memory as it was before the batch", async () => {
      const before = log.events().length;
      const declined = 'Mar  2 08:59:50 bastion-1 sshd[9002]: Failed publickey for deploy from 198.51.100.95 port 41000 ssh2: RSA SHA256:Lm4Qx8Zp1Vb7Nc0Kd5Jf2Hg9Ts6Wr3Ya1Ue8Io4Pq2';
      await sshd([declined], stream('host-logs-c', 0));
      const summary = 'Mar  2 08:59:51 bastion-1 sshd[9002]: Disconnecting: Too many authentication failures for deploy [preauth]';
      for (let attempt = 0; attempt < 2; attempt++) assert.deepEqual(await (await sshd([summary], stream('host-logs-c', 1))).json(), { accepted: 1, ignored: 0, rejected: [] });
      const [first, retry] = log.events().slice(before);
      assert.deepEqual(failuresSince(before), [['failure', 'deploy', '198.51.100.95'], ['failure', 'deploy', '198.51.100.95']]);
      assert.equal(retry?.id, first?.id, 'the retry yields the same id, which the scorer counts once');
    });

    it('keeps no request body alive for the streams it remembers, however long their lines', async () => {
      // A client's own info after `ssh2: ` can make a line as long as the body allows (64 KiB here).
      const failed = (n: number): string =>
        `Mar  2 09:00:0${n % 10} bastion-1 sshd[${9100 + n}]: Failed password for root from 198.51.100.${n} port 41000 ssh2: ${'A'.repeat(60_000)}`;
      const bytes = await retainedAfter(async () => {
        for (let n = 0; n < 100; n++) assert.equal((await sshd([failed(n)], stream(`host-logs-big-${n}`, 0))).status, 202);
      });
      assert.ok(bytes < 2_000_000, `100 streams kept ${bytes} bytes alive`);
    });

    it('reads the lines of one request without a stream together, and forgets them after it', async () => {
      const opened = 'Mar  2 08:59:55 bastion-1 sshd[9003]: Connection from 192.0.2.95 port 42000 on 10.0.0.5 port 22 rdomain ""';
      const summary = 'Mar  2 08:59:57 bastion-1 sshd[9003]: Disconnecting: Too many authentication failures for admin [preauth]';
      assert.deepEqual(await (await sshd([opened, summary])).json(), { accepted: 1, ignored: 1, rejected: [] });
      assert.deepEqual(await (await sshd([opened])).json(), { accepted: 0, ignored: 1, rejected: [] });
      assert.deepEqual(await (await sshd([summary])).json(), { accepted: 0, ignored: 1, rejected: [] }, 'the next request does not know the connection');
    });
  });

  it('answers 404 to an unknown source, listing the configured ones with the built-in ones', async () => {
    const response = await post('myapp', {});
    assert.equal(response.status, 404);
    const detail = ((await response.json()) as { detail: string }).detail;
    assert.match(detail, /^"myapp" is not a source; known: canonical, .*cloudtrail.*, login-audit$/);
  });
});
