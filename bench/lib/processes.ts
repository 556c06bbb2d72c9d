import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** A child process the bench started and must stop. */
export interface Child {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves with the exit code (or signal) once the process is gone. */
  readonly exited: Promise<string>;
  isRunning(): boolean;
}

const running = new Set<Child & { process: ChildProcess }>();

/** Node with the TypeScript loader the project runs under, on a `.ts` entry point. */
export function spawnTs(name: string, entry: string, env: NodeJS.ProcessEnv, logFile: string, cwd: string): Child {
  mkdirSync(dirname(logFile), { recursive: true });
  const log = createWriteStream(logFile, { flags: 'w' });
  const child = spawn(process.execPath, ['--max-semi-space-size=64', '-r', '@swc-node/register', entry], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  if (child.pid === undefined) throw new Error(`${name}: could not start ${entry}`);
  let alive = true;
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => {
      alive = false;
      log.end();
      resolve(signal ?? String(code));
    });
  });
  const handle = { name, pid: child.pid, logFile, exited, process: child, isRunning: () => alive };
  running.add(handle);
  void exited.then(() => running.delete(handle));
  return handle;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopChild(child: Child, graceMs = 5_000): Promise<'terminated' | 'killed' | 'gone'> {
  if (!child.isRunning()) return 'gone';
  process.kill(child.pid, 'SIGTERM');
  const result = await Promise.race([child.exited.then(() => 'terminated' as const), sleep(graceMs).then(() => 'timeout' as const)]);
  if (result === 'terminated') return result;
  if (child.isRunning()) process.kill(child.pid, 'SIGKILL');
  await child.exited;
  return 'killed';
}

const abortHooks = new Set<() => void>();

/** Registers synchronous clean-up for an interrupted run (SIGINT, a crash); returns its removal. */
export function onAbort(hook: () => void): () => void {
  abortHooks.add(hook);
  return () => abortHooks.delete(hook);
}

/** The last resort on an interrupted run: kills every child still running, then runs the hooks. */
export function abortNow(): void {
  for (const child of running) {
    try {
      child.process.kill('SIGKILL');
    } catch {
      // Already gone.
    }
  }
  for (const hook of abortHooks) {
    try {
      hook();
    } catch {
      // Best effort: the run is ending anyway.
    }
  }
}

/** Resident set size of a process in bytes, from /proc/<pid>/status (VmRSS). */
export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!match?.[1]) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1_024;
}

/** The last lines of a child's log, to show why it did not come up. */
export function tailOf(logFile: string, lines = 20): string {
  try {
    return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Linux's USER_HZ, the unit of the CPU times in /proc/<pid>/stat; 100 on every mainstream kernel. */
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU time (user + system) a process has used so far, in milliseconds, from /proc/<pid>/stat. */
export function cpuTimeOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1_000) / CLOCK_TICKS_PER_SECOND;
}
