import { join } from 'node:path';
import { Child } from './child';

const ROOT = join(__dirname, '..', '..', '..');

/**
 * `ratchet ingest --source <id> --follow <file>` as its own process: the log shipper of the loop,
 * tailing what a proxy writes and posting it to a collector's `POST /v1/ingest/<id>`.
 */
export class IngestProcess {
  private child: Child | undefined;

  constructor(
    private readonly source: string,
    private readonly file: string,
    private readonly collectorUrl: string,
  ) {}

  /** Starts tailing; nothing to await: a line written before the tail opens the file is read from the start. */
  start(): void {
    const args = ['-r', '@swc-node/register', join('apps', 'ratchet', 'src', 'main.ts'), 'ingest', '--source', this.source, '--url', this.collectorUrl, '--follow', this.file];
    this.child = new Child('ratchet ingest', process.execPath, args, { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: '' } });
  }

  /** Stops tailing (SIGTERM: what was read is still sent) and awaits the exit. */
  async stop(): Promise<void> {
    await this.child?.stop('SIGTERM');
  }

  /** What the shipper reported (`sent: N accepted …` per batch, rejected records). */
  log(): string {
    return this.child?.log(200) ?? '';
  }
}
