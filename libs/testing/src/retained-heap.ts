import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

/**
 * Runs a full garbage collection, as `--expose-gc` would allow (turned on at the first call, not
 * when this module loads), so that a heap figure taken right after shows what is retained rather
 * than what is merely not yet collected.
 */
export function collectGarbage(): void {
  if (gc === undefined) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}

/**
 * What `build`'s result keeps alive on the heap, in bytes, once everything else it made is
 * collected: for specs that prove a structure holds no more than it should (in V8 a short string
 * cut from a long line keeps the whole line alive unless it is copied).
 */
export function retainedBy<T>(build: () => T): { value: T; bytes: number } {
  collectGarbage();
  const before = process.memoryUsage().heapUsed;
  const value = build();
  collectGarbage();
  return { value, bytes: process.memoryUsage().heapUsed - before };
}

/** `retainedBy` for work that awaits (requests to a service): what is still alive once it is done. */
export async function retainedAfter(work: () => Promise<void>): Promise<number> {
  collectGarbage();
  const before = process.memoryUsage().heapUsed;
  await work();
  collectGarbage();
  return process.memoryUsage().heapUsed - before;
}
