import { EventEmitter } from 'node:events';
import { readdirSync, readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { compileChains, InvalidChainFile, parseChainDocuments, type CompiledChain } from '@ratchet/chains';
import { AppError, errorCode, errorMessage } from '@ratchet/kernel';

export const CHAIN_SET_OPTIONS = Symbol.for('ratchet.ChainSetOptions');

export interface ChainSetOptions {
  /** A YAML/JSON file, or a directory of them (`*.yaml`, `*.yml`, `*.json`, read in name order). */
  path: string;
  /** Re-read the path when it changes. Default: false. */
  watch?: boolean;
  /** Quiet time after the last change before re-reading: editors write a file in several steps. Default 200 ms. */
  debounceMs?: number;
}

/** A load's outcome, emitted as `reload` after every re-read the watcher triggers. */
export type ChainReload = { ok: true; chains: readonly CompiledChain[] } | { ok: false; error: string };

/** Why a path could not be read: the errno code (`ENOENT`) when there is one, else the message. */
function cannotRead(err: unknown): string {
  return `cannot read: ${errorCode(err)}`;
}

/**
 * Reads every chain file under `path` and compiles them as one set: a problem in any file throws
 * an AppError whose message starts with the file (and then the chain, field and expression);
 * chain names are unique across files.
 */
export function loadChainFiles(path: string): CompiledChain[] {
  let files: string[];
  try {
    files = statSync(path).isDirectory()
      ? readdirSync(path)
          .filter((f) => ['.yaml', '.yml', '.json'].includes(extname(f)) && !f.startsWith('.'))
          .sort()
          .map((f) => join(path, f))
      : [path];
  } catch (err) {
    throw new InvalidChainFile(path, cannotRead(err));
  }
  const chains: CompiledChain[] = [];
  const origin = new Map<string, string>();
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new InvalidChainFile(file, cannotRead(err));
    }
    let compiled: CompiledChain[];
    try {
      compiled = compileChains(parseChainDocuments(text, file));
    } catch (err) {
      if (err instanceof InvalidChainFile) throw err;
      throw new InvalidChainFile(file, errorMessage(err));
    }
    for (const chain of compiled) {
      const other = origin.get(chain.name);
      if (other) throw new InvalidChainFile(file, `chain ${chain.name}: metadata.name: is already defined in ${other}`);
      origin.set(chain.name, file);
      chains.push(chain);
    }
  }
  if (chains.length === 0) throw new InvalidChainFile(path, 'holds no chain');
  return chains;
}

/**
 * The chains in force. Loaded once when the module is built (an invalid set stops the process
 * with a message naming the file, chain, field and expression) and, when watching, re-read after
 * every change: a set that fails to load is refused and logged, and the previous one stays.
 */
@Injectable()
export class ChainSetService implements OnModuleInit, OnApplicationShutdown {
  private readonly log = new Logger('chains');
  private readonly events = new EventEmitter();
  private current: readonly CompiledChain[];
  private loadedAt = new Date();
  private lastError: string | undefined;
  private watcher: FSWatcher | undefined;
  private pending: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: ChainSetOptions | undefined,
    initial: readonly CompiledChain[],
  ) {
    this.current = initial;
  }

  onModuleInit(): void {
    if (!this.options?.watch) return;
    const { path } = this.options;
    // Watch the directory holding a file, not the file: editors replace files by renaming.
    const isDirectory = statSync(path).isDirectory();
    const dir = isDirectory ? path : dirname(path);
    const name = isDirectory ? undefined : basename(path);
    this.watcher = watch(dir, (_event, changed) => {
      if (name !== undefined && changed !== null && changed !== name) return;
      if (this.pending) clearTimeout(this.pending);
      this.pending = setTimeout(() => this.reload(), this.options?.debounceMs ?? 200);
    });
    this.watcher.on('error', (err) => this.log.error(`stopped watching ${path}: ${err.message}`));
  }

  onApplicationShutdown(): void {
    if (this.pending) clearTimeout(this.pending);
    this.watcher?.close();
  }

  chains(): readonly CompiledChain[] {
    return this.current;
  }

  /** Where the set came from, when it was loaded, and the last refused reload, if any since. */
  status(): { source: string; loadedAt: Date; lastError?: string } {
    return { source: this.options?.path ?? 'built-in', loadedAt: this.loadedAt, ...(this.lastError ? { lastError: this.lastError } : {}) };
  }

  /** Listens to every reload the watcher triggers, applied or refused. */
  onReload(listener: (reload: ChainReload) => void): () => void {
    this.events.on('reload', listener);
    return () => this.events.off('reload', listener);
  }

  /** Re-reads the path now; the watcher calls this after a change. */
  reload(): ChainReload {
    let outcome: ChainReload;
    try {
      const chains = loadChainFiles(this.options?.path ?? '');
      this.current = chains;
      this.loadedAt = new Date();
      this.lastError = undefined;
      this.log.log(`loaded ${chains.length} chains from ${this.options?.path}: ${chains.map((c) => `${c.name} (${c.mode})`).join(', ')}`);
      outcome = { ok: true, chains };
    } catch (err) {
      const error = err instanceof AppError ? err.message : `unexpected error: ${errorMessage(err)}`;
      this.lastError = error;
      this.log.error(`refused the new chains, keeping the ${this.current.length} in force: ${error}`);
      outcome = { ok: false, error };
    }
    this.events.emit('reload', outcome);
    return outcome;
  }
}
