import { createWriteStream } from 'node:fs';
import type { PartReport } from './report';

/** What every part gets from the runner. */
export interface BenchContext {
  /** The repository root; children run from here. */
  root: string;
  /** Where this run keeps logs (tmp/bench/<time>/). */
  runDir: string;
  /** Run id, unique per run: topic and key prefixes derive from it. */
  runId: string;
}

export interface BenchPart {
  name: string;
  summary: string;
  run(context: BenchContext): Promise<PartReport>;
}

/**
 * Sends what the process writes to stdout into `file` until the returned function is called:
 * Nest logs to stdout, and an in-process application would otherwise mix its log lines into the
 * figures.
 */
export function divertStdout(file: string): () => void {
  const original = process.stdout.write.bind(process.stdout);
  const sink = createWriteStream(file, { flags: 'a' });
  process.stdout.write = (chunk: string | Uint8Array): boolean => sink.write(chunk);
  return () => {
    process.stdout.write = original;
    sink.end();
  };
}
