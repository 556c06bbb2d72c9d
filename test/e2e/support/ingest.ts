import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');

/**
 * `ratchet ingest --source <id> --follow <file>` as its own process: the log shipper of the loop,
 * tailing what a proxy writes and posting it to a collector's `POST /v1/ingest/<id>`.
 */
export class IngestProcess {
  private child: ChildProcess | undefined;
  private output = '';

  constructor(
    private readonly source: string,
    private readonly file: string,
    private readonly collectorUrl: string,
  ) {}

  /** Starts tailing; nothing to await: a line written before the tail opens the file is read from the start. */
  start(): void {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', join('apps', 'ratchet', 'src', 'main.ts'), 'ingest', '--source', this.source, '--url', this.collectorUrl, '--follow', this.file], {
      cwd: ROOT,
      env: { ...process.env, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const keep = (chunk: Buffer): void => void (this.output = (this.output + chunk.toString()).slice(-20_000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  /** Stops tailing (SIGTERM: what was read is still sent) and awaits the exit. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const escalate = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(escalate);
  }

  /** What the shipper reported (`sent: N accepted …` per batch, rejected records). */
  log(): string {
    return this.output;
  }
}
