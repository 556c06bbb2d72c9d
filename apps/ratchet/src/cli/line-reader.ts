import { open, stat, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export interface LineReaderOptions {
  /** Keep reading as the file grows, across truncation and rotation, until `signal` aborts. */
  follow: boolean;
  /** How often a followed file is checked for growth. Default 200 ms. */
  pollMs?: number;
  signal?: AbortSignal;
}

/**
 * Yields the complete lines of a file. Following, it waits for more; a file that shrank was
 * truncated (read again from the start), a path that now names another file was rotated (the
 * old file is read to its end first). A last line without its newline is held back until it is
 * complete, or yielded at the end when not following.
 */
export async function* readLines(path: string, options: LineReaderOptions): AsyncGenerator<string> {
  const pollMs = options.pollMs ?? 200;
  let handle: FileHandle = await open(path, 'r');
  let inode = (await handle.stat()).ino;
  let position = 0;
  let pending = '';
  const buffer = Buffer.alloc(64 * 1024);
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
      if (bytesRead > 0) {
        position += bytesRead;
        pending += buffer.toString('utf8', 0, bytesRead);
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) yield line.endsWith('\r') ? line.slice(0, -1) : line;
        continue;
      }
      if (!options.follow || options.signal?.aborted) break;
      await sleep(pollMs, undefined, { signal: options.signal }).catch(() => undefined);
      if (options.signal?.aborted) break;
      const current = await stat(path).catch(() => undefined);
      if (!current) continue; // between rotation and re-creation
      if (current.ino !== inode) {
        await handle.close();
        handle = await open(path, 'r');
        inode = (await handle.stat()).ino;
        position = 0;
        pending = '';
      } else if (current.size < position) {
        position = 0;
        pending = '';
      }
    }
    if (pending !== '') yield pending;
  } finally {
    await handle.close();
  }
}

/** Yields the lines of a stream (stdin). */
export async function* readStreamLines(stream: NodeJS.ReadableStream): AsyncGenerator<string> {
  let pending = '';
  for await (const chunk of stream) {
    pending += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) yield line.endsWith('\r') ? line.slice(0, -1) : line;
  }
  if (pending !== '') yield pending;
}
