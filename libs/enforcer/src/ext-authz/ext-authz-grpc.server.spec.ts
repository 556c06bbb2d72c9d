import 'reflect-metadata';
import assert from 'node:assert/strict';
import { connect, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ManualClock } from '@ratchet/kernel';
import { createHttpApp, PlatformModule, RatchetMetrics } from '@ratchet/platform';
import { EnforcerModule } from '../enforcer.module';
import type { ExtAuthzGrpcSettings } from '../fast-path/fast-path-settings';
import { FastPathService } from '../fast-path/fast-path.service';
import { CHECK_PATH, ExtAuthzGrpcServer, grpcTimeoutMs, loadAuthorizationService, MAX_CHECK_REQUEST_BYTES } from './ext-authz-grpc.server';

interface Reply {
  status: number | undefined;
  grpcStatus: string | undefined;
  grpcMessage: string | undefined;
  body: Buffer;
}

const CHECK = loadAuthorizationService()['Check'];
if (!CHECK) throw new Error('Authorization service without Check');

function framed(message: Buffer, flag = 0): Buffer {
  const out = Buffer.alloc(5 + message.length);
  out[0] = flag;
  out.writeUInt32BE(message.length, 1);
  message.copy(out, 5);
  return out;
}

/**
 * One call on `session`: `body` in as many DATA frames as parts, the stream ended after the last
 * unless `end` is false (a caller that never finishes its message). Resolves once the stream closes.
 */
function call(session: ClientHttp2Session, body: Buffer | Buffer[], headers: Record<string, string> = {}, end = true): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':method': 'POST', ':path': CHECK_PATH, 'content-type': 'application/grpc', te: 'trailers', ...headers });
    const chunks: Buffer[] = [];
    let response: IncomingHttpHeaders = {};
    let trailers: IncomingHttpHeaders = {};
    stream.on('response', (h: IncomingHttpHeaders) => (response = h));
    stream.on('trailers', (t: IncomingHttpHeaders) => (trailers = t));
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('error', reject);
    stream.on('close', () => {
      const grpcStatus = trailers['grpc-status'] ?? response['grpc-status'];
      const grpcMessage = trailers['grpc-message'] ?? response['grpc-message'];
      resolve({ status: Number(response[':status']), grpcStatus: grpcStatus === undefined ? undefined : String(grpcStatus), grpcMessage: grpcMessage === undefined ? undefined : decodeURIComponent(String(grpcMessage)), body: Buffer.concat(chunks) });
    });
    const parts = Array.isArray(body) ? body : [body];
    for (const part of end ? parts.slice(0, -1) : parts) stream.write(part);
    if (end) stream.end(parts.at(-1));
  });
}

/** An enforcer serving ext_authz gRPC on a free port with `limits`, and a connection to it. */
async function startServer(limits: Pick<ExtAuthzGrpcSettings, 'readTimeoutMs' | 'maxBufferedBytes' | 'idleTimeoutMs'>): Promise<{ app: NestFastifyApplication; session: ClientHttp2Session }> {
  @Module({ imports: [PlatformModule.memory({ clock: new ManualClock(Date.parse('2026-11-24T10:00:00.000Z')) }), EnforcerModule.forRoot({ extAuthzGrpc: { host: '127.0.0.1', port: 0, ...limits } })] })
  class GrpcWireSpecModule {}
  const app = await createHttpApp(GrpcWireSpecModule, { bodyLimit: 1_024, logFormat: 'text', logLevels: ['fatal', 'error'] });
  await app.init();
  return { app, session: connect(`http://127.0.0.1:${app.get(ExtAuthzGrpcServer).port()}`) };
}

async function stopServer(app: NestFastifyApplication | undefined, session: ClientHttp2Session | undefined): Promise<void> {
  session?.close();
  await app?.close();
}

/** The gRPC wire contract of the Check server, spoken to with bare HTTP/2 as a misbehaving peer could. */
describe('the ext_authz gRPC server on the wire', { timeout: 30_000 }, () => {
  let app: NestFastifyApplication;
  let session: ClientHttp2Session;
  before(async () => ({ app, session } = await startServer({})));
  after(() => stopServer(app, session));

  const send = (body: Buffer | Buffer[], headers: Record<string, string> = {}): Promise<Reply> => call(session, body, headers);

  it('answers a Check whose message arrives in several DATA frames', async () => {
    const request = framed(CHECK.requestSerialize({ attributes: { source: { address: { socket_address: { address: '198.51.100.7' } } }, request: { http: { method: 'GET', path: '/', headers: { 'user-agent': 'curl/8.5.0' } } } } }));
    const reply = await send([request.subarray(0, 3), request.subarray(3, 20), request.subarray(20)]);
    assert.equal(reply.status, 200);
    assert.equal(reply.grpcStatus, '0');
    const response = CHECK.responseDeserialize(reply.body.subarray(5)) as { status: { code: number }; ok_response?: object };
    assert.equal(response.status.code, 0);
    assert.ok(response.ok_response);
  });

  it('answers UNIMPLEMENTED for any other method of any other service', async () => {
    const reply = await send(framed(Buffer.alloc(0)), { ':path': '/grpc.health.v1.Health/Check' });
    assert.equal(reply.grpcStatus, '12');
    assert.equal(reply.grpcMessage, `POST /grpc.health.v1.Health/Check is not served here; only POST ${CHECK_PATH}`);
  });

  it('refuses a compressed message with UNIMPLEMENTED and says to send identity', async () => {
    const reply = await send(framed(Buffer.from([0x1f, 0x8b, 0x08, 0x00]), 1), { 'grpc-encoding': 'gzip' });
    assert.equal(reply.grpcStatus, '12');
    assert.equal(reply.grpcMessage, 'compressed messages are not supported: send them with grpc-encoding identity');
  });

  it('refuses a truncated CheckRequest with INVALID_ARGUMENT naming the field', async () => {
    const reply = await send(framed(Buffer.from([0x0a, 0x04, 0x0a, 0x09, 0x22, 0x01])));
    assert.equal(reply.grpcStatus, '3');
    assert.equal(reply.grpcMessage, 'malformed CheckRequest: attributes.source: length 9 runs past the end of its message (2 bytes left)');
  });

  it('refuses a message shorter than its length prefix, and a request with no message', async () => {
    const short = await send(Buffer.concat([Buffer.from([0, 0, 0, 0, 40]), Buffer.alloc(10)]));
    assert.deepEqual([short.grpcStatus, short.grpcMessage], ['3', 'the message prefix announces 40 bytes, the request carries 10']);
    const empty = await send(Buffer.alloc(0));
    assert.deepEqual([empty.grpcStatus, empty.grpcMessage], ['3', 'the request carries no message']);
  });

  it('refuses a message over the size limit with RESOURCE_EXHAUSTED', async () => {
    const reply = await send(framed(Buffer.alloc(MAX_CHECK_REQUEST_BYTES + 1)));
    assert.equal(reply.grpcStatus, '8');
    assert.equal(reply.grpcMessage, `request message larger than the ${MAX_CHECK_REQUEST_BYTES}-byte limit`);
  });

  it('refuses a message whose prefix announces more than the limit before its body arrives', async () => {
    const prefix = Buffer.from([0, 0, 0, 0, 0]);
    prefix.writeUInt32BE(MAX_CHECK_REQUEST_BYTES + 1, 1);
    const reply = await call(session, [prefix], {}, false);
    assert.deepEqual([reply.grpcStatus, reply.grpcMessage], ['8', `request message larger than the ${MAX_CHECK_REQUEST_BYTES}-byte limit`]);
  });

  it('repeats at most 128 characters of a path it does not serve', async () => {
    const reply = await send(framed(Buffer.alloc(0)), { ':path': `/${'a'.repeat(20_000)}` });
    assert.equal(reply.grpcStatus, '12');
    assert.equal(reply.grpcMessage, `POST /${'a'.repeat(127)}… (20001 characters) is not served here; only POST ${CHECK_PATH}`);
  });

  it('answers INTERNAL without the error’s text when the check throws', async () => {
    const fastPath = app.get(FastPathService);
    const check = fastPath.check.bind(fastPath);
    fastPath.check = () => Promise.reject(new Error('connect ECONNREFUSED redis://:hunter2@10.0.4.7:6379'));
    try {
      const reply = await send(framed(Buffer.alloc(0)));
      assert.deepEqual([reply.grpcStatus, reply.grpcMessage], ['13', 'the check failed inside the enforcer (its log says why)']);
    } finally {
      fastPath.check = check;
    }
  });

  it('answers HTTP 415 to a request that is not gRPC', async () => {
    const reply = await send(Buffer.from('{}'), { 'content-type': 'application/json' });
    assert.equal(reply.status, 415);
    assert.equal(reply.grpcStatus, undefined);
  });

  it('counts refused calls in ratchet_enforcer_ext_authz_refused_total by gRPC status name, never by what the caller sent', async () => {
    await send(framed(Buffer.alloc(0)), { ':path': '/attacker.Chosen/Label' });
    await send(framed(Buffer.from([0x0e])));
    const refused = await app.get(RatchetMetrics).extAuthzRefused.get();
    const counts: Record<string, number> = Object.fromEntries(refused.values.map((v) => [String(v.labels['status']), v.value]));
    assert.ok((counts['UNIMPLEMENTED'] ?? 0) >= 1 && (counts['INVALID_ARGUMENT'] ?? 0) >= 1, JSON.stringify(counts));
    for (const status of Object.keys(counts)) assert.match(status, /^(INVALID_ARGUMENT|DEADLINE_EXCEEDED|RESOURCE_EXHAUSTED|UNIMPLEMENTED|INTERNAL|HTTP_415)$/);
  });

  it('times answered checks in ratchet_enforcer_check_seconds under api="ext_authz_grpc"', async () => {
    assert.equal((await send(framed(Buffer.alloc(0)))).grpcStatus, '0');
    const metrics = await app.get(RatchetMetrics).checkSeconds.get();
    const count = metrics.values.find((v) => v.metricName === 'ratchet_enforcer_check_seconds_count' && v.labels['api'] === 'ext_authz_grpc');
    assert.ok(count && count.value >= 1);
  });
});

/** A caller that starts messages and never ends them: what it may hold of the server, and for how long. */
describe('the ext_authz gRPC server under unfinished calls', { timeout: 30_000 }, () => {
  const BUDGET = 16 * 1024;
  let app: NestFastifyApplication;
  let session: ClientHttp2Session;
  before(async () => ({ app, session } = await startServer({ readTimeoutMs: 100, maxBufferedBytes: BUDGET })));
  after(() => stopServer(app, session));

  it('refuses a call that sends part of its message and never ends it with DEADLINE_EXCEEDED', async () => {
    const request = framed(CHECK.requestSerialize({ attributes: { request: { http: { method: 'GET', path: '/' } } } }));
    const reply = await call(session, [request.subarray(0, 7)], {}, false);
    assert.deepEqual([reply.grpcStatus, reply.grpcMessage], ['4', 'the request message did not end within 100 ms']);
  });

  it("ends a stalled call at the caller's grpc-timeout when that is sooner than the server's limit", async () => {
    const request = framed(CHECK.requestSerialize({ attributes: { request: { http: { method: 'GET', path: '/' } } } }));
    const reply = await call(session, [request.subarray(0, 7)], { 'grpc-timeout': '40000u' }, false);
    assert.deepEqual([reply.grpcStatus, reply.grpcMessage], ['4', "the request message did not end within the caller's grpc-timeout of 40 ms"]);
    const patient = await call(session, [request.subarray(0, 7)], { 'grpc-timeout': '1S' }, false);
    assert.deepEqual([patient.grpcStatus, patient.grpcMessage], ['4', 'the request message did not end within 100 ms']);
  });

  it('refuses a call past the bytes every unfinished call may hold, and answers again once they are released', async () => {
    const half = (): Buffer => framed(Buffer.alloc(10_000)).subarray(0, 10_000);
    const holding = call(session, [half()], {}, false);
    const refused = await call(session, [half()], {}, false);
    assert.deepEqual([refused.grpcStatus, refused.grpcMessage], ['8', `the server already holds ${BUDGET} bytes of unfinished requests; retry`]);
    assert.equal((await holding).grpcStatus, '4');
    assert.equal((await call(session, framed(Buffer.alloc(0)))).grpcStatus, '0');
  });
});

describe('the ext_authz gRPC server and idle connections', { timeout: 30_000 }, () => {
  let app: NestFastifyApplication | undefined;
  let session: ClientHttp2Session | undefined;
  after(() => stopServer(app, session));

  it('closes a connection that stays silent for idleTimeoutMs, after answering on it', async () => {
    ({ app, session } = await startServer({ idleTimeoutMs: 300 }));
    const closed = once(session, 'close');
    const reply = await call(session, framed(CHECK.requestSerialize({ attributes: { source: { address: { socket_address: { address: '198.51.100.7' } } } } })));
    assert.equal(reply.grpcStatus, '0');
    await closed;
    assert.equal(session.destroyed, true);
  });
});

describe('grpcTimeoutMs', () => {
  it('reads the gRPC wire format of a deadline in every unit', () => {
    const read = ['2H', '3M', '1S', '200m', '1500u', '7n'].map((value) => grpcTimeoutMs(value));
    assert.deepEqual(read, [7_200_000, 180_000, 1_000, 200, 1.5, 0.000_007]);
  });

  it('ignores what the protocol does not allow: no unit, a fraction, more than eight digits, several values', () => {
    for (const value of ['200', '1.5S', '123456789m', 'S', '-1S', ' 1S', undefined, ['1S', '2S']]) assert.equal(grpcTimeoutMs(value), undefined, String(value));
  });
});
