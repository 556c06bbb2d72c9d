import { connect, type Socket } from 'node:net';
import { HpackDecoder, type HeaderList } from './hpack';

/**
 * A bare gRPC unary client speaking HTTP/2 frames on a socket, for load. Envoy, the real caller,
 * is C++ and costs next to nothing per call; node:http2 on the client side cost more CPU than the
 * server it measured (both on the same two cores), so this writes each call as two pre-encoded
 * frames (HEADERS from a header block built once per path, DATA) and reads the answer's frames
 * itself, HPACK-decoding response headers and trailers. Enough HTTP/2 for one well-behaved peer:
 * SETTINGS, PING, WINDOW_UPDATE (both directions), RST_STREAM and GOAWAY; no priorities, no push.
 */
export class H2GrpcClient {
  private socket: Socket;
  private hpack = new HpackDecoder();
  private nextStream = 1;
  private readonly calls = new Map<number, PendingCall>();
  private pending = Buffer.alloc(0);
  /** Header blocks of a HEADERS frame being continued by CONTINUATION frames. */
  private continuing: { stream: number; endStream: boolean; parts: Buffer[] } | undefined;
  private sendWindow = 65_535;
  private streamWindow = 65_535;
  private readonly queued: { stream: number; headers: Buffer; data: Buffer }[] = [];
  private received = 0;
  private readonly blocks = new Map<string, Buffer>();
  /** Why the connection ended (a GOAWAY code or an error), for the report. */
  lastClose: string | undefined;

  constructor(private readonly authority: string) {
    this.socket = this.open();
  }

  /** Frames a serialized message: compressed flag 0, 4-byte big-endian length, the bytes. */
  static frame(message: Buffer): Buffer {
    const framed = Buffer.alloc(5 + message.length);
    framed.writeUInt32BE(message.length, 1);
    message.copy(framed, 5);
    return framed;
  }

  /** Sends one framed request to `path`; resolves the response message's bytes, rejects on a non-zero grpc-status. */
  call(path: string, framed: Buffer): Promise<Buffer> {
    if (this.socket.destroyed) this.socket = this.open();
    const stream = this.nextStream;
    this.nextStream += 2;
    return new Promise((resolve, reject) => {
      this.calls.set(stream, { resolve, reject, chunks: [], status: undefined });
      this.send(stream, this.headerBlock(path), framed);
    });
  }

  close(): void {
    this.socket.end(frameOf(TYPE.GOAWAY, 0, 0, Buffer.alloc(8)));
  }

  private open(): Socket {
    const url = new URL(this.authority);
    const socket = connect({ host: url.hostname, port: Number(url.port), noDelay: true });
    this.reset();
    const settings = Buffer.alloc(12);
    settings.writeUInt16BE(SETTING.ENABLE_PUSH, 0);
    settings.writeUInt32BE(0, 2);
    settings.writeUInt16BE(SETTING.INITIAL_WINDOW_SIZE, 6);
    settings.writeUInt32BE(WINDOW, 8);
    socket.write(Buffer.concat([PREFACE, frameOf(TYPE.SETTINGS, 0, 0, settings), windowUpdate(0, WINDOW - 65_535)]));
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    socket.on('error', (err) => this.fail(err.message));
    socket.on('close', () => this.fail(this.lastClose ?? 'connection closed'));
    return socket;
  }

  private reset(): void {
    this.hpack = new HpackDecoder();
    this.nextStream = 1;
    this.sendWindow = 65_535;
    this.streamWindow = 65_535;
    this.pending = Buffer.alloc(0);
  }

  /** `:method POST`, `:scheme http`, `:path`, `:authority`, `content-type: application/grpc`, `te: trailers`, built once per path. */
  private headerBlock(path: string): Buffer {
    let block = this.blocks.get(path);
    if (!block) {
      const host = new URL(this.authority).host;
      block = Buffer.concat([Buffer.from([0x83, 0x86]), literal(4, path), literal(1, host), literal(31, 'application/grpc'), literalNew('te', 'trailers')]);
      this.blocks.set(path, block);
    }
    return block;
  }

  private send(stream: number, headers: Buffer, data: Buffer): void {
    if (this.queued.length > 0 || data.length > this.sendWindow || data.length > this.streamWindow) {
      this.queued.push({ stream, headers, data });
      return;
    }
    this.sendWindow -= data.length;
    this.socket.write(Buffer.concat([frameOf(TYPE.HEADERS, FLAG.END_HEADERS, stream, headers), frameOf(TYPE.DATA, FLAG.END_STREAM, stream, data)]));
  }

  private flushQueue(): void {
    const waiting = this.queued.splice(0);
    for (const call of waiting) this.send(call.stream, call.headers, call.data);
  }

  private read(chunk: Buffer): void {
    let buf = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    while (buf.length >= 9) {
      const length = buf.readUIntBE(0, 3);
      if (buf.length < 9 + length) break;
      const type = buf[3] as number;
      const flags = buf[4] as number;
      const stream = buf.readUInt32BE(5) & 0x7fffffff;
      this.onFrame(type, flags, stream, buf.subarray(9, 9 + length));
      buf = buf.subarray(9 + length);
    }
    this.pending = buf.length > 0 ? Buffer.from(buf) : EMPTY;
  }

  private onFrame(type: number, flags: number, stream: number, payload: Buffer): void {
    switch (type) {
      case TYPE.DATA: {
        const call = this.calls.get(stream);
        const padding = flags & FLAG.PADDED ? (payload[0] as number) : -1;
        call?.chunks.push(padding >= 0 ? payload.subarray(1, payload.length - padding) : payload);
        this.received += payload.length;
        if (this.received > WINDOW / 2) {
          this.socket.write(windowUpdate(0, this.received));
          this.received = 0;
        }
        if (flags & FLAG.END_STREAM) this.finish(stream);
        return;
      }
      case TYPE.HEADERS: {
        let block = payload;
        if (flags & FLAG.PADDED) block = block.subarray(1, block.length - (payload[0] as number));
        if (flags & FLAG.PRIORITY) block = block.subarray(5);
        if (flags & FLAG.END_HEADERS) return this.onHeaders(stream, this.hpack.decode(block), (flags & FLAG.END_STREAM) !== 0);
        this.continuing = { stream, endStream: (flags & FLAG.END_STREAM) !== 0, parts: [Buffer.from(block)] };
        return;
      }
      case TYPE.CONTINUATION: {
        const continuing = this.continuing;
        if (!continuing) return;
        continuing.parts.push(Buffer.from(payload));
        if (flags & FLAG.END_HEADERS) {
          this.continuing = undefined;
          this.onHeaders(continuing.stream, this.hpack.decode(Buffer.concat(continuing.parts)), continuing.endStream);
        }
        return;
      }
      case TYPE.RST_STREAM:
        this.calls.get(stream)?.reject(new Error(`stream reset (code ${payload.readUInt32BE(0)})`));
        this.calls.delete(stream);
        return;
      case TYPE.SETTINGS:
        if (flags & FLAG.ACK) return;
        for (let at = 0; at + 6 <= payload.length; at += 6) {
          if (payload.readUInt16BE(at) === SETTING.INITIAL_WINDOW_SIZE) this.streamWindow = payload.readUInt32BE(at + 2);
        }
        this.socket.write(frameOf(TYPE.SETTINGS, FLAG.ACK, 0, EMPTY));
        this.flushQueue();
        return;
      case TYPE.PING:
        if (!(flags & FLAG.ACK)) this.socket.write(frameOf(TYPE.PING, FLAG.ACK, 0, payload));
        return;
      case TYPE.GOAWAY:
        this.lastClose = `GOAWAY ${payload.readUInt32BE(4)}`;
        return;
      case TYPE.WINDOW_UPDATE:
        if (stream === 0) {
          this.sendWindow += payload.readUInt32BE(0) & 0x7fffffff;
          this.flushQueue();
        }
        return;
      default:
        return;
    }
  }

  private onHeaders(stream: number, headers: HeaderList, endStream: boolean): void {
    const call = this.calls.get(stream);
    if (!call) return;
    for (const [name, value] of headers) if (name === 'grpc-status') call.status = value;
    if (endStream) this.finish(stream);
  }

  private finish(stream: number): void {
    const call = this.calls.get(stream);
    if (!call) return;
    this.calls.delete(stream);
    if (call.status !== '0') return call.reject(new Error(`grpc-status ${call.status ?? 'missing'}`));
    const body = call.chunks.length === 1 ? (call.chunks[0] as Buffer) : Buffer.concat(call.chunks);
    if (body.length < 5) return call.reject(new Error('no response message'));
    call.resolve(body.subarray(5, 5 + body.readUInt32BE(1)));
  }

  private fail(reason: string): void {
    this.lastClose ??= reason;
    for (const call of this.calls.values()) call.reject(new Error(reason));
    this.calls.clear();
    this.queued.length = 0;
  }
}

interface PendingCall {
  resolve: (message: Buffer) => void;
  reject: (err: Error) => void;
  chunks: Buffer[];
  status: string | undefined;
}

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const EMPTY = Buffer.alloc(0);
/** Receive window announced, per stream and for the connection. */
const WINDOW = 1 << 30;
const TYPE = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8, CONTINUATION: 9 } as const;
const FLAG = { ACK: 0x1, END_STREAM: 0x1, END_HEADERS: 0x4, PADDED: 0x8, PRIORITY: 0x20 } as const;
const SETTING = { ENABLE_PUSH: 2, INITIAL_WINDOW_SIZE: 4 } as const;

function frameOf(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(9 + payload.length);
  frame.writeUIntBE(payload.length, 0, 3);
  frame[3] = type;
  frame[4] = flags;
  frame.writeUInt32BE(stream, 5);
  payload.copy(frame, 9);
  return frame;
}

function windowUpdate(stream: number, increment: number): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(increment, 0);
  return frameOf(TYPE.WINDOW_UPDATE, 0, stream, payload);
}

/** HPACK literal without indexing, name from the static table (4-bit prefix), value as is. */
function literal(nameIndex: number, value: string): Buffer {
  return Buffer.concat([hpackInteger(nameIndex, 4, 0x00), hpackString(value)]);
}

function literalNew(name: string, value: string): Buffer {
  return Buffer.concat([Buffer.from([0x00]), hpackString(name), hpackString(value)]);
}

function hpackString(value: string): Buffer {
  const bytes = Buffer.from(value, 'latin1');
  return Buffer.concat([hpackInteger(bytes.length, 7, 0x00), bytes]);
}

function hpackInteger(value: number, prefixBits: number, pattern: number): Buffer {
  const max = (1 << prefixBits) - 1;
  if (value < max) return Buffer.from([pattern | value]);
  const bytes = [pattern | max];
  let rest = value - max;
  while (rest >= 128) {
    bytes.push((rest % 128) | 0x80);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}
