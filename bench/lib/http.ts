import { Agent, request } from 'node:http';

export interface HttpResponse {
  status: number;
  body: string;
}

/**
 * A keep-alive HTTP/1.1 client over at most `connections` sockets: cheap enough to share two
 * cores with the server it measures.
 */
export class HttpClient {
  private readonly agent: Agent;
  private readonly host: string;
  private readonly port: number;

  constructor(baseUrl: string, connections: number) {
    const url = new URL(baseUrl);
    this.host = url.hostname;
    this.port = Number(url.port);
    this.agent = new Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
  }

  send(method: 'GET' | 'POST', path: string, headers: Readonly<Record<string, string>> = {}, body?: string | Buffer): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.host,
          port: this.port,
          method,
          path,
          agent: this.agent,
          headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  get(path: string, headers: Readonly<Record<string, string>> = {}): Promise<HttpResponse> {
    return this.send('GET', path, headers);
  }

  postNdjson(path: string, body: string): Promise<HttpResponse> {
    return this.send('POST', path, { 'content-type': 'application/x-ndjson' }, body);
  }

  close(): void {
    this.agent.destroy();
  }
}

/** The value of an unlabelled counter or gauge in Prometheus text; NaN when absent. */
export function metricValue(text: string, name: string): number {
  const match = new RegExp(`^${name}(?:\\{\\})? ([0-9.eE+-]+)$`, 'm').exec(text);
  return match?.[1] ? Number(match[1]) : Number.NaN;
}

/**
 * The upper bound of the Prometheus histogram bucket holding quantile `q` of the series whose
 * labels include `label` (e.g. `api="authz"`): a ceiling on the true quantile, as exact as the
 * buckets are fine. NaN without samples; Infinity when it lies beyond the last bucket.
 */
export function histogramQuantileBound(text: string, name: string, label: string, q: number): number {
  const buckets: Array<{ le: number; count: number }> = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}_bucket{`) || !line.includes(label)) continue;
    const le = /le="([^"]+)"/.exec(line)?.[1];
    const count = Number(line.split(' ').pop());
    if (le !== undefined) buckets.push({ le: le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), count });
  }
  buckets.sort((a, b) => a.le - b.le);
  const total = buckets.at(-1)?.count ?? 0;
  if (total === 0) return Number.NaN;
  return buckets.find((b) => b.count >= q * total)?.le ?? Number.POSITIVE_INFINITY;
}

/** Polls `GET url` until it answers `status`; throws after `timeoutMs`. */
export async function waitForStatus(client: HttpClient, path: string, status: number, timeoutMs: number, stillAlive: () => boolean = () => true): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last = 'no answer';
  while (performance.now() < deadline) {
    if (!stillAlive()) throw new Error(`the process exited before ${path} answered ${status}`);
    try {
      const response = await client.get(path);
      if (response.status === status) return;
      last = `${response.status} ${response.body.slice(0, 200)}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${path} did not answer ${status} within ${timeoutMs} ms (last: ${last})`);
}

/** Throws when something already answers on the client's port: its /readyz would pass for ours. */
export async function assertPortFree(client: HttpClient, port: number): Promise<void> {
  const answered = await client.get('/healthz').then(
    () => true,
    () => false,
  );
  if (answered) throw new Error(`port ${port} is already in use; stop what listens there and run again`);
}
