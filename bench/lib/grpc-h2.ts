import { connect, constants, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';

/**
 * A bare gRPC unary client over node:http2, for load: requests are serialized once up front and
 * each call costs one HTTP/2 stream, so the bench measures the server rather than a client
 * library (Envoy, the real caller, is C++). Length-prefixed messages, `grpc-status` trailers.
 */
export class H2GrpcClient {
  private session: ClientHttp2Session;
  /** Why the last session ended (a GOAWAY code or an error), for the report. */
  lastClose: string | undefined;

  constructor(private readonly authority: string) {
    this.session = this.open();
  }

  private open(): ClientHttp2Session {
    const session = connect(this.authority);
    session.on('error', (err: Error) => (this.lastClose = err.message));
    session.on('goaway', (code: number) => (this.lastClose = `GOAWAY ${code}`));
    return session;
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
    if (this.session.closed || this.session.destroyed) this.session = this.open();
    return new Promise((resolve, reject) => {
      const stream = this.session.request({
        [constants.HTTP2_HEADER_METHOD]: 'POST',
        [constants.HTTP2_HEADER_PATH]: path,
        [constants.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
        te: 'trailers',
      });
      const chunks: Buffer[] = [];
      let status: string | undefined;
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('trailers', (trailers: IncomingHttpHeaders) => (status = String(trailers['grpc-status'])));
      stream.on('response', (headers) => {
        if (headers['grpc-status'] !== undefined) status = String(headers['grpc-status']);
      });
      stream.once('error', reject);
      stream.once('end', () => {
        if (status !== '0') return reject(new Error(`grpc-status ${status ?? 'missing'}`));
        const body = Buffer.concat(chunks);
        resolve(body.subarray(5, 5 + body.readUInt32BE(1)));
      });
      stream.end(framed);
    });
  }

  close(): void {
    this.session.close();
  }
}
