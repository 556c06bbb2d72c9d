import { join } from 'node:path';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { once } from 'node:events';
import { constants, createServer, type Http2Server, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { loadPackageDefinition, type GrpcObject, type ServiceClientConstructor, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { errorMessage } from '@ratchet/kernel';
import { RatchetMetrics } from '@ratchet/platform';
import { CALLER_TOKEN_HEADER, callerCheck, type CallerCheck } from '../fast-path/caller-token';
import { failModeFor } from '../fast-path/fail-mode';
import { FAST_PATH_SETTINGS, type FastPathSettings } from '../fast-path/fast-path-settings';
import { FastPathService } from '../fast-path/fast-path.service';
import { FAIL_MODE_HEADER } from '../fast-path/fail-mode';
import { extAuthzResponse, readExtAuthzCheck } from './ext-authz-check';
import type { EnforcementAction } from '@ratchet/contracts';
import type { FastPathAnswer } from '../fast-path/fast-path-answer';
import type { ProtoCheckRequest } from './ext-authz-messages';
import { decodeCheckRequest, encodeCheckResponse } from './ext-authz-protobuf';

const PROTO_DIR = join(__dirname, 'proto');

/** `envoy.service.auth.v3.Authorization`, from Ratchet's subset of Envoy's protos: for grpc-js clients (specs, tools). */
export function loadAuthorizationService(): ServiceDefinition {
  const definition = loadSync('envoy/service/auth/v3/external_auth.proto', { includeDirs: [PROTO_DIR], keepCase: true, enums: Number, longs: String, defaults: false, oneofs: true });
  const root = loadPackageDefinition(definition);
  const service = (((root['envoy'] as GrpcObject)['service'] as GrpcObject)['auth'] as GrpcObject)['v3'] as GrpcObject;
  return (service['Authorization'] as ServiceClientConstructor).service;
}

/** The one method served. */
export const CHECK_PATH = '/envoy.service.auth.v3.Authorization/Check';
/** Largest CheckRequest accepted: grpc-js's default receive limit, which this server replaced. */
export const MAX_CHECK_REQUEST_BYTES = 4 * 1024 * 1024;
/** Streams one connection may hold open: an Envoy keeps a few per worker. */
const MAX_CONCURRENT_STREAMS = 1_000;
/** Defaults of `ExtAuthzGrpcSettings` (documented there). */
const DEFAULT_READ_TIMEOUT_MS = 2_000;
const DEFAULT_MAX_BUFFERED_BYTES = 64 * 1024 * 1024;
const DEFAULT_IDLE_TIMEOUT_MS = 300_000;
/** Characters of a caller's own input (path, method, content type) an error message repeats. */
const MAX_ECHOED_CHARS = 128;

/** gRPC status codes this server answers with (besides those inside a CheckResponse). */
const STATUS = { OK: 0, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, RESOURCE_EXHAUSTED: 8, UNIMPLEMENTED: 12, INTERNAL: 13, UNAUTHENTICATED: 16 } as const;
type Status = (typeof STATUS)[keyof typeof STATUS];
/** The metric label of a refusal: one of these names (or HTTP_415), never anything the caller sent. */
const STATUS_NAME: Readonly<Record<Status, string>> = { 0: 'OK', 3: 'INVALID_ARGUMENT', 4: 'DEADLINE_EXCEEDED', 8: 'RESOURCE_EXHAUSTED', 12: 'UNIMPLEMENTED', 13: 'INTERNAL', 16: 'UNAUTHENTICATED' };
const OK_TRAILERS = { 'grpc-status': '0' };
const RESPONSE_HEADERS = { [constants.HTTP2_HEADER_STATUS]: 200, [constants.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc' };

/**
 * Envoy's `ext_authz` over gRPC (`envoy.service.auth.v3.Authorization/Check`), what Istio's
 * CUSTOM action and Envoy Gateway call. Listens on its own port (HTTP/2, plaintext: put it on
 * the pod network or loopback, as a sidecar's authz service is) when configured.
 *
 * A unary gRPC server for this one method on node:http2 rather than grpc-js: grpc-js's per-call
 * machinery (interceptors, metadata, status objects, protobufjs building every header of the
 * request into objects) cost several times the verdict itself. The gRPC wire contract kept:
 * 5-byte length-prefixed messages, `grpc-status`/`grpc-message` trailers, UNIMPLEMENTED for any
 * other path and for compressed messages, HTTP 415 for a non-gRPC content type,
 * RESOURCE_EXHAUSTED past MAX_CHECK_REQUEST_BYTES, INVALID_ARGUMENT naming the field of a
 * malformed request. ./proto stays the documented schema; ./ext-authz-protobuf.ts reads and writes it.
 */
@Injectable()
export class ExtAuthzGrpcServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('ext-authz');
  private server: Http2Server | undefined;
  private boundPort: number | undefined;
  private readonly reading: { headers: readonly string[] };
  private readonly callerAuthenticated: CallerCheck;
  /** Bytes of unfinished request messages held by every call in progress (bounded by `maxBufferedBytes`). */
  private buffered = 0;
  /**
   * Calls still reading their message, with when they started: one sweep every quarter of
   * `readTimeoutMs` ends those past it, rather than a timer armed and cleared for every call
   * (which cost a tenth of the server's CPU per check).
   */
  private readonly pendingReads = new Map<ServerHttp2Stream, PendingRead>();
  private sweeper: NodeJS.Timeout | undefined;
  private readTimeoutMs = DEFAULT_READ_TIMEOUT_MS;
  private maxBufferedBytes = DEFAULT_MAX_BUFFERED_BYTES;

  constructor(
    @Inject(FastPathService) private readonly fastPath: FastPathService,
    @Inject(FAST_PATH_SETTINGS) private readonly settings: FastPathSettings,
    @Inject(RatchetMetrics) private readonly metrics: RatchetMetrics,
  ) {
    this.callerAuthenticated = callerCheck(settings.callerToken);
    this.reading = { headers: [FAIL_MODE_HEADER, ...(settings.subjectHeader ? [settings.subjectHeader.toLowerCase()] : [])] };
  }

  /** The port it listens on (resolved when configured as 0); undefined when not serving. */
  port(): number | undefined {
    return this.boundPort;
  }

  async onApplicationBootstrap(): Promise<void> {
    const grpc = this.settings.grpc;
    if (!grpc) return;
    const server = createServer({ settings: { maxConcurrentStreams: MAX_CONCURRENT_STREAMS } });
    server.on('stream', (stream, headers) => this.serve(stream, headers));
    server.on('sessionError', (err) => this.log.warn(`ext_authz gRPC connection failed: ${errorMessage(err)}`));
    // A socket silent for idleTimeoutMs has its session destroyed by node:http2 (no 'timeout' listener).
    server.setTimeout(grpc.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS);
    const readTimeoutMs = grpc.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
    this.readTimeoutMs = readTimeoutMs;
    this.maxBufferedBytes = grpc.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    server.listen(grpc.port, grpc.host);
    await once(server, 'listening');
    this.sweeper = setInterval(() => this.endLateReads(), Math.max(10, readTimeoutMs / 4));
    this.sweeper.unref();
    this.server = server;
    this.boundPort = (server.address() as AddressInfo).port;
    this.log.log(`envoy.service.auth.v3.Authorization/Check listening on ${grpc.host}:${this.boundPort}`);
  }

  /** A throw anywhere in a call's handling becomes that call's INTERNAL answer, never the process's uncaught exception. */
  private serve(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    stream.on('error', () => undefined); // a peer's reset: nothing to answer
    try {
      this.receive(stream, headers);
    } catch (err) {
      this.fail(stream, err);
    }
  }

  private receive(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    if (headers[constants.HTTP2_HEADER_PATH] !== CHECK_PATH || headers[constants.HTTP2_HEADER_METHOD] !== 'POST') {
      return this.refuse(stream, STATUS.UNIMPLEMENTED, `${clip(String(headers[constants.HTTP2_HEADER_METHOD]))} ${clip(String(headers[constants.HTTP2_HEADER_PATH]))} is not served here; only POST ${CHECK_PATH}`);
    }
    const contentType = String(headers[constants.HTTP2_HEADER_CONTENT_TYPE] ?? '');
    if (!/^application\/grpc(\+proto)?(;|$)/.test(contentType)) {
      this.metrics.extAuthzRefused.inc({ status: 'HTTP_415' });
      stream.respond({ [constants.HTTP2_HEADER_STATUS]: 415, [constants.HTTP2_HEADER_CONTENT_TYPE]: 'text/plain' });
      stream.end(`content-type ${clip(contentType) || '(none)'} is not application/grpc\n`);
      stream.close();
      return;
    }
    if (!this.callerAuthenticated(headers[CALLER_TOKEN_HEADER])) {
      this.metrics.fastPathCallerRefused.inc({ api: 'ext_authz_grpc' });
      return this.refuse(stream, STATUS.UNAUTHENTICATED, `the caller sent no valid ${CALLER_TOKEN_HEADER} (RATCHET_FAST_PATH_TOKEN)`);
    }
    const maxBufferedBytes = this.maxBufferedBytes;
    let chunks: Buffer[] = [];
    let held = 0;
    let prefixRead = false;
    /** Gives the bytes this call holds back to the server's budget. */
    const release = (): void => {
      this.buffered -= held;
      held = 0;
      chunks = [];
    };
    const stop = (status: Status, message: string): void => {
      release();
      this.refuse(stream, status, message);
    };
    // A call reset while reading gives its bytes back at the next sweep (endLateReads), not through
    // a 'close' listener on every call.
    // The caller's own deadline (Envoy sends its ext_authz timeout, 200 ms by default) ends the
    // read sooner than ours: past it, nobody waits for the answer.
    const callerMs = grpcTimeoutMs(headers['grpc-timeout']);
    const callers = callerMs !== undefined && callerMs < this.readTimeoutMs;
    this.pendingReads.set(stream, { since: performance.now(), limitMs: callers ? callerMs : this.readTimeoutMs, limit: callers ? 'caller' : 'server', stop, release });
    stream.on('data', (chunk: Buffer) => {
      if (stream.headersSent) return; // refused: what still arrives is dropped
      if (held + chunk.length > 5 + MAX_CHECK_REQUEST_BYTES) return stop(STATUS.RESOURCE_EXHAUSTED, `request message larger than the ${MAX_CHECK_REQUEST_BYTES}-byte limit`);
      if (this.buffered + chunk.length > maxBufferedBytes) return stop(STATUS.RESOURCE_EXHAUSTED, `the server already holds ${maxBufferedBytes} bytes of unfinished requests; retry`);
      this.buffered += chunk.length;
      held += chunk.length;
      chunks.push(chunk);
      if (!prefixRead && held >= 5) {
        prefixRead = true;
        const prefix = (chunks[0] as Buffer).length >= 5 ? (chunks[0] as Buffer) : Buffer.concat(chunks, 5);
        // The announced size refuses a call before its body is buffered, not after.
        if (prefix.readUInt32BE(1) > MAX_CHECK_REQUEST_BYTES) stop(STATUS.RESOURCE_EXHAUSTED, `request message larger than the ${MAX_CHECK_REQUEST_BYTES}-byte limit`);
      }
    });
    stream.on('end', () => {
      this.pendingReads.delete(stream);
      if (stream.headersSent) return;
      try {
        const framed = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
        release();
        const message = unframe(framed);
        if (!Buffer.isBuffer(message)) return this.refuse(stream, message.status, message.message);
        const decoded = decodeCheckRequest(message, this.reading);
        if (!decoded.ok) return this.refuse(stream, STATUS.INVALID_ARGUMENT, `malformed CheckRequest: ${decoded.reason}`);
        this.check(decoded.request).then(
          (checked) => answer(stream, responseFrame(checked)),
          (err: unknown) => this.fail(stream, err),
        );
      } catch (err) {
        this.fail(stream, err);
      }
    });
  }

  /** The error is logged, not sent: it may name internals (addresses, keys) a caller on the pod network must not read. */
  private fail(stream: ServerHttp2Stream, err: unknown): void {
    this.log.error(`ext_authz Check failed: ${errorMessage(err)}`);
    this.refuse(stream, STATUS.INTERNAL, 'the check failed inside the enforcer (its log says why)');
  }

  /** Counted once per call: a stream already answered or gone is neither answered nor counted again. */
  private refuse(stream: ServerHttp2Stream, status: Status, message: string): void {
    if (stream.destroyed || stream.closed || stream.headersSent) return;
    this.metrics.extAuthzRefused.inc({ status: STATUS_NAME[status] });
    refuse(stream, status, message);
  }

  private async check(request: ProtoCheckRequest): Promise<FastPathAnswer> {
    const stop = this.metrics.checkSeconds.startTimer({ api: 'ext_authz_grpc' });
    const { check, routeFailMode, requestedFailMode } = readExtAuthzCheck(request, this.settings.subjectHeader);
    const answer = await this.fastPath.check(check, failModeFor(this.settings.failModes, check.path, { trusted: routeFailMode, requested: requestedFailMode }));
    stop();
    return answer;
  }

  /**
   * Ends the calls whose message has not ended within their limit — `readTimeoutMs`, or the
   * caller's `grpc-timeout` when shorter — to a quarter of `readTimeoutMs` late, and forgets those
   * reset meanwhile.
   */
  private endLateReads(): void {
    const now = performance.now();
    for (const [stream, call] of this.pendingReads) {
      if (stream.destroyed) {
        this.pendingReads.delete(stream);
        call.release();
      } else if (now - call.since >= call.limitMs) {
        this.pendingReads.delete(stream);
        call.stop(STATUS.DEADLINE_EXCEEDED, `the request message did not end within ${call.limit === 'caller' ? `the caller's grpc-timeout of ${call.limitMs} ms` : `${call.limitMs} ms`}`);
      }
    }
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.sweeper);
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** A call still reading its message: since when, how long it may take, and how to end it or give back its bytes. */
interface PendingRead {
  since: number;
  limitMs: number;
  /** Whose limit `limitMs` is: the caller's `grpc-timeout`, or the server's `readTimeoutMs`. */
  limit: 'caller' | 'server';
  stop: (status: Status, message: string) => void;
  release: () => void;
}

const GRPC_TIMEOUT_UNITS_MS: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 0.001, n: 0.000_001 };

/**
 * A call's `grpc-timeout` header in ms — at most eight digits and a unit (H, M, S, m, u, n), as the
 * gRPC HTTP/2 protocol writes it — or undefined when absent or unreadable (then only the server's
 * own limit applies).
 */
export function grpcTimeoutMs(value: string | string[] | undefined): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^(\d{1,8})([HMSmun])$/.exec(value);
  if (match === null) return undefined;
  return Number(match[1]) * (GRPC_TIMEOUT_UNITS_MS[match[2] as string] as number);
}

interface Refusal {
  status: Status;
  message: string;
}

/** The one message of a unary request, or why there is none. */
function unframe(framed: Buffer | undefined): Buffer | Refusal {
  const invalid = (message: string): Refusal => ({ status: STATUS.INVALID_ARGUMENT, message });
  if (!framed || framed.length === 0) return invalid('the request carries no message');
  if (framed.length < 5) return invalid(`the request ends inside the 5-byte message prefix (${framed.length} bytes)`);
  if (framed[0] === 1) return { status: STATUS.UNIMPLEMENTED, message: 'compressed messages are not supported: send them with grpc-encoding identity' };
  if (framed[0] !== 0) return invalid(`message prefix flag ${String(framed[0])} is neither 0 nor 1`);
  const length = framed.readUInt32BE(1);
  if (framed.length < 5 + length) return invalid(`the message prefix announces ${length} bytes, the request carries ${framed.length - 5}`);
  if (framed.length > 5 + length) return invalid('unary Check takes one message; the request carries more');
  return framed.subarray(5);
}

/** OK responses are all alike: framed once. */
const OK_FRAME = frame(encodeCheckResponse(extAuthzResponse({ outcome: 'allow' })));
/**
 * A deny or step-up answer depends on its decision alone (what it says, until when, why), so a
 * client refused again and again (an attacker's flood) gets the bytes encoded the first time.
 * Rate-limit answers carry the time to retry and are encoded each time.
 */
const DECIDED_FRAMES = new WeakMap<EnforcementAction, Buffer>();

function responseFrame(answer: FastPathAnswer): Buffer {
  if (answer.outcome === 'allow') return OK_FRAME;
  if (answer.outcome !== 'deny' && answer.outcome !== 'step-up') return frame(encodeCheckResponse(extAuthzResponse(answer)));
  let framed = DECIDED_FRAMES.get(answer.decision);
  if (!framed) {
    framed = frame(encodeCheckResponse(extAuthzResponse(answer)));
    DECIDED_FRAMES.set(answer.decision, framed);
  }
  return framed;
}

function frame(message: Buffer): Buffer {
  const framed = Buffer.allocUnsafe(5 + message.length);
  framed[0] = 0;
  framed.writeUInt32BE(message.length, 1);
  message.copy(framed, 5);
  return framed;
}

function answer(stream: ServerHttp2Stream, framed: Buffer): void {
  if (stream.destroyed || stream.closed) return;
  stream.respond(RESPONSE_HEADERS, { waitForTrailers: true });
  stream.once('wantTrailers', () => stream.sendTrailers(OK_TRAILERS));
  stream.end(framed);
}

/**
 * A trailers-only gRPC error: HTTP 200, the status and a percent-encoded message. The stream is
 * then reset (NO_ERROR, once the answer is out) so a caller still sending is stopped, not read.
 */
function refuse(stream: ServerHttp2Stream, status: number, message: string): void {
  if (stream.destroyed || stream.closed || stream.headersSent) return;
  stream.respond({ ...RESPONSE_HEADERS, 'grpc-status': String(status), 'grpc-message': percentEncode(message) }, { endStream: true });
  stream.close();
}

/** A caller's text cut to MAX_ECHOED_CHARS, saying how long it was. */
function clip(text: string): string {
  return text.length <= MAX_ECHOED_CHARS ? text : `${text.slice(0, MAX_ECHOED_CHARS)}… (${text.length} characters)`;
}

/** gRPC's `grpc-message` encoding: printable ASCII but `%` as is, everything else as UTF-8 %XX. */
function percentEncode(message: string): string {
  let out = '';
  for (const byte of Buffer.from(message, 'utf8')) out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}
