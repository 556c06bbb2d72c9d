import { spawn, type SpawnOptions } from 'node:child_process';
import { awaitUntil } from '@ratchet/testing';

/** How much of a child's output is kept for a failing test's message. */
const OUTPUT_KEPT = 20_000;

/**
 * A process an end-to-end spec starts and must stop: its recent output (for the failure message),
 * its exit, a readiness wait that gives up as soon as the process dies, and a stop that escalates
 * to SIGKILL. The proxies, the services and the log shipper of the specs are all one of these.
 */
export class Child {
  private output = '';
  private exit: number | null | undefined;
  private readonly exited: Promise<void>;

  constructor(
    readonly name: string,
    command: string,
    args: readonly string[],
    options: Omit<SpawnOptions, 'stdio'> = {},
  ) {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer): void => void (this.output = (this.output + chunk.toString()).slice(-OUTPUT_KEPT));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        this.exit = code;
        resolve();
      }),
    );
    this.kill = (signal) => child.kill(signal);
  }

  private readonly kill: (signal: NodeJS.Signals) => boolean;

  get running(): boolean {
    return this.exit === undefined;
  }

  /** Resolves once `ready` answers true; fails at once, with the output, if the process exits first. */
  async awaitReady(ready: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
    await awaitUntil(
      `${this.name} to be ready`,
      async () => {
        if (!this.running) throw new Error(`${this.name} exited with ${String(this.exit)}`);
        return (await ready()) ? true : undefined;
      },
      { timeoutMs, everyMs: 100 },
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\n--- ${this.name} output ---\n${this.log()}`);
    });
  }

  /** Sends `signal` and awaits the exit, killing the process if it outlives `graceMs`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<void> {
    if (!this.running) return;
    this.kill(signal);
    const escalate = setTimeout(() => this.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(escalate);
  }

  /** The last lines it wrote. */
  log(lines = 60): string {
    return this.output.split('\n').slice(-lines).join('\n');
  }
}

/** Whether GET `url` answers 200 (false while nothing listens). */
export async function answers200(url: string): Promise<boolean> {
  const response = await fetch(url).catch(() => undefined);
  return response?.status === 200;
}
