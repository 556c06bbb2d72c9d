import { randomUUID } from 'node:crypto';
import { STREAM_BATCH_HEADER, STREAM_HEADER, type IngestResult } from '@ratchet/collector';
import { sourceCatalogue, type SourceCatalogue, type SourceParser } from '@ratchet/sources';
import { readLines, readStreamLines } from './line-reader';

export interface IngestCommandOptions {
  source: SourceParser;
  /** Base URL of a running Ratchet (embedded) or collector. */
  url: string;
  /** A path, or `-` for standard input. */
  file: string;
  follow: boolean;
  /** Most records per request. */
  batch: number;
  /** Longest a record waits before its batch is sent, when following. */
  flushMs: number;
  signal?: AbortSignal;
  /** Called after every request with what Ratchet answered. */
  onBatch?: (result: BatchResult) => void;
}

/** What the collector answers for one batch. */
export type BatchResult = IngestResult;

export interface IngestTotals {
  records: number;
  accepted: number;
  ignored: number;
  rejected: number;
}

export const ingestUsage = (sources: SourceCatalogue): string => `usage: ratchet ingest --source <id> [--url http://127.0.0.1:8080] [--follow] [--batch 1000] <file | ->
  sources: ${sources.sources.map((s) => s.id).join(', ')}`;

/**
 * Parses `ratchet ingest` arguments; throws a usage error naming the problem. `sources` are the
 * ones `--source` may name: the built-in ones, plus those RATCHET_SOURCES defines (the same file
 * the server reads).
 */
export function parseIngestArgs(
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  sources: SourceCatalogue = sourceCatalogue(),
): Omit<IngestCommandOptions, 'signal' | 'onBatch'> {
  const usage = ingestUsage(sources);
  const options = { url: env['RATCHET_URL'] ?? 'http://127.0.0.1:8080', follow: false, batch: 1_000, flushMs: 250 } as Omit<IngestCommandOptions, 'signal' | 'onBatch' | 'source' | 'file'> & {
    source?: SourceParser;
    file?: string;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const value = (): string => {
      const next = args[++i];
      if (next === undefined) throw new Error(`${arg} needs a value\n${usage}`);
      return next;
    };
    if (arg === '--source') {
      const id = value();
      options.source = sources.find(id);
      if (!options.source) throw new Error(`--source: "${id}" is not a source\n${usage}`);
    } else if (arg === '--url') options.url = value();
    else if (arg === '--follow' || arg === '-f') options.follow = true;
    else if (arg === '--batch') {
      options.batch = Number(value());
      if (!Number.isInteger(options.batch) || options.batch < 1) throw new Error(`--batch must be a whole number of at least 1\n${usage}`);
    } else if (arg.startsWith('--')) throw new Error(`unknown option ${arg}\n${usage}`);
    else if (options.file === undefined) options.file = arg;
    else throw new Error(`one file at a time\n${usage}`);
  }
  if (!options.source) throw new Error(`--source is required\n${usage}`);
  if (!options.file) throw new Error(`name a file, or - for standard input\n${usage}`);
  if (options.follow && options.file === '-') throw new Error('--follow needs a file, not standard input');
  return options as Omit<IngestCommandOptions, 'signal' | 'onBatch'>;
}

/**
 * `ratchet ingest`: reads records from a file or stdin and posts them in batches to
 * `POST /v1/ingest/{source}`. Following a file, it sends what arrives within `flushMs` and keeps
 * going until the signal aborts. A request Ratchet cannot take (network, 5xx) is retried with
 * back-off; nothing read is dropped.
 */
export async function runIngest(options: IngestCommandOptions): Promise<IngestTotals> {
  const totals: IngestTotals = { records: 0, accepted: 0, ignored: 0, rejected: 0 };
  const endpoint = `${options.url.replace(/\/$/, '')}/v1/ingest/${options.source.id}`;
  const contentType = options.source.framing === 'line' ? 'text/plain' : 'application/x-ndjson';
  let batch: string[] = [];
  let firstAt = 0;
  // One stream per run: the collector numbers a line repeated byte for byte across this run's
  // batches (a client retrying within one second of log resolution), not only within one batch;
  // a retried batch keeps its number, so it is counted once. A new run is a new stream.
  const stream = { [STREAM_HEADER]: `ratchet-ingest-${randomUUID()}` };
  let sent = 0;

  /** The last flush ignores the signal: what was read is sent even when following stops. */
  const send = async (last = false): Promise<void> => {
    if (batch.length === 0) return;
    const records = batch;
    batch = [];
    const headers = { ...stream, [STREAM_BATCH_HEADER]: String(sent++) };
    const result = await postWithRetry(endpoint, contentType, records.join('\n'), headers, last ? undefined : options.signal);
    totals.records += records.length;
    totals.accepted += result.accepted;
    totals.ignored += result.ignored;
    totals.rejected += result.rejected.length;
    options.onBatch?.(result);
  };

  const lines = options.file === '-' ? readStreamLines(process.stdin) : readLines(options.file, { follow: options.follow, ...(options.signal ? { signal: options.signal } : {}) });
  const flusher = options.follow ? setInterval(() => void (batch.length > 0 && Date.now() - firstAt >= options.flushMs && send()), options.flushMs) : undefined;
  try {
    for await (const line of lines) {
      if (line.trim() === '') continue;
      if (batch.length === 0) firstAt = Date.now();
      batch.push(line);
      if (batch.length >= options.batch) await send();
    }
    await send(true);
  } finally {
    if (flusher) clearInterval(flusher);
  }
  return totals;
}

async function postWithRetry(url: string, contentType: string, body: string, headers: Readonly<Record<string, string>>, signal?: AbortSignal): Promise<BatchResult> {
  let backoff = 250;
  for (;;) {
    try {
      const response = await fetch(url, { method: 'POST', headers: { ...headers, 'content-type': contentType }, body, ...(signal ? { signal } : {}) });
      if (response.status === 202) return (await response.json()) as BatchResult;
      if (response.status === 422) {
        const problem = (await response.json()) as { errors?: BatchResult['rejected'] };
        return { accepted: 0, ignored: 0, rejected: problem.errors ?? [] };
      }
      if (response.status < 500) throw new Error(`Ratchet refused the batch: ${response.status} ${await response.text()}`);
    } catch (err) {
      if (signal?.aborted || (err instanceof Error && err.message.startsWith('Ratchet refused'))) throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, backoff));
    backoff = Math.min(backoff * 2, 10_000);
  }
}
