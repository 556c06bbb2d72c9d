import type { AuthEvent } from '@ratchet/contracts';
import { canonicalAddress } from '@ratchet/kernel';
import { readSyslogHeader } from '@ratchet/sources';
import type { DatasetFiles } from './dataset-files.port';
import { isRecord, readJsonObject, UnreadableDataset } from './dataset-error';
import { FAIL2BAN_CASES, type Fail2banCase } from './mappings';
import { RecordReader, type RecordOutcome, type ReplayEnvironment } from './replay';
import { Tally, type SuiteResult } from './tally';

export const FAIL2BAN_SUITE = 'fail2ban';

/**
 * fail2ban's own tests run with `TZ=Europe/Zurich`: a `failJSON` time is that zone's wall clock for a
 * line that states its offset, and the line's own wall clock for one that does not (which Ratchet's
 * parsers read as UTC). A time matches under either reading.
 */
const FAIL2BAN_TEST_ZONE = 'Europe/Zurich';
const zurich = new Intl.DateTimeFormat('sv-SE', {
  timeZone: FAIL2BAN_TEST_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

interface FailJson {
  match: boolean;
  host?: string;
  time?: string;
  /** fail2ban's `constraint`: a Python condition on the filter's name and options; the line is tested only where it holds. */
  constraint?: string;
}

/**
 * The filter options a sample section is tested with (`# filterOptions: {…}` or `[{…}, …]`, until
 * the next such comment). Ratchet is measured against fail2ban's default jail: a section counts when
 * one of its option sets keeps the default mode (`mode` absent or `normal`) and its
 * `test.condition` holds; sections for `aggressive`, `ddos`, `extra` or `fallback` modes only label
 * what fail2ban matches when an operator widens the filter, and are left out with a note.
 */
type FilterOptions = readonly Record<string, unknown>[];
const ALL_OPTIONS: FilterOptions = [{}];

/**
 * Parser precision and recall on fail2ban's labelled filter samples: each line after a
 * `# failJSON: {…}` comment is read with the matching Ratchet source; a `match: true` line must
 * yield a failure whose client address is `host` (and whose time is `time`, when given), a
 * `match: false` line no failure. One row per filter.
 */
export async function evaluateFail2ban(files: DatasetFiles, env: ReplayEnvironment, cases: readonly Fail2banCase[] = FAIL2BAN_CASES): Promise<SuiteResult> {
  const tally = new Tally(FAIL2BAN_SUITE);
  let found = 0;
  for (const c of cases) {
    const text = files.read(c.filter);
    if (text === undefined) {
      tally.notes.push(`${c.filter}: not in this copy of the samples; not counted`);
      continue;
    }
    found++;
    evaluateFilter(c, text, env, tally);
  }
  if (found === 0) throw new UnreadableDataset('.', `none of the filter samples found (${cases.map((c) => c.filter).join(', ')})`);
  return tally.result();
}

/** One sample line as read: what the label asks, where the line's section puts it, and what Ratchet made of it. */
interface ReadLine {
  subject: string;
  expectation: FailJson | undefined;
  outside: string | undefined;
  outcome: RecordOutcome;
  connection: Connection | undefined;
}

function evaluateFilter(c: Fail2banCase, text: string, env: ReplayEnvironment, tally: Tally): void {
  tally.touch(c.filter);
  const lines = readLines(c, text, env);
  let tested = 0;
  let sameAttempt = 0;
  const skipped = new Map<string, number>();
  // Detectors count an event id once: a line that yields the id of an attempt an earlier line
  // already reported (sshd's lines of one attempt share it) adds no failure; `fresh`: the ids a line is first to yield.
  const counted = new Set<string>();
  for (const { subject, expectation, outside, outcome, connection } of lines) {
    const fresh = new Set(outcome.status === 'ok' ? outcome.events.map((e) => e.id).filter((id) => !counted.has(id)) : []);
    for (const id of fresh) counted.add(id);
    if (expectation === undefined) continue;
    if (outside !== undefined) {
      skipped.set(outside, (skipped.get(outside) ?? 0) + 1);
      continue;
    }
    tested++;
    const failures = outcome.status === 'ok' ? outcome.events.filter((e) => isMatch(c, e)) : [];
    if (!expectation.match) {
      const added = failures.filter((e) => fresh.has(e.id));
      if (added.length > 0) tally.miss({ case: c.filter, indicator: c.filter, kind: 'FP', subject, why: `failure read from a line fail2ban does not match: ${describe(added[0] as AuthEvent)}` });
      continue;
    }
    const problem = checkMatch(expectation, failures, outcome, c.yearless || connection?.yearless === true);
    if (problem === undefined) tally.hit(c.filter);
    else if (outcome.status === 'ignored' && countedByItsConnection(expectation, connection, subject, lines, c)) {
      sameAttempt++;
      tally.hit(c.filter);
    } else tally.miss({ case: c.filter, indicator: c.filter, kind: 'FN', subject, why: problem });
  }
  tally.notes.push(`${c.filter}: ${tested} labelled lines read with ${c.sources.join(' or ')}`);
  if (sameAttempt > 0) tally.notes.push(`${c.filter}: ${sameAttempt} labelled lines the parser ignored were found: another line of the same connection, seconds apart, counted the failure`);
  for (const [why, n] of skipped) tally.notes.push(`${c.filter}: ${n} labelled lines not counted: ${why}`);
}

function readLines(c: Fail2banCase, text: string, env: ReplayEnvironment): ReadLine[] {
  const reader = new RecordReader(env);
  const lines: ReadLine[] = [];
  let pending: FailJson | undefined;
  let options = ALL_OPTIONS;
  for (const [i, line] of text.split(/\r?\n/).entries()) {
    if (line.trim() === '') continue;
    const subject = `${c.filter}:${i + 1}`;
    if (line.startsWith('#')) {
      const m = /^#\s*failJSON:\s*(\{.*\})\s*$/.exec(line);
      if (m) pending = readFailJson(m[1] as string, subject);
      const o = /^#\s*filterOptions:\s*(.+?)\s*$/.exec(line);
      if (o) options = readFilterOptions(o[1] as string, subject);
      continue;
    }
    const expectation = pending;
    pending = undefined;
    const outside = expectation === undefined ? undefined : (c.outOfScope?.find((o) => o.line.test(line))?.why ?? outsideDefaultJail(c.filter, options, expectation));
    lines.push({ subject, expectation, outside, outcome: reader.read(line, c.sources), connection: connectionOf(line) });
  }
  return lines;
}

/**
 * A syslog line's connection: the same host and program pid (OpenSSH forks one process per
 * connection), and its header time in seconds (the year left out: syslog has none).
 */
interface Connection {
  key: string;
  second: number;
  /** An RFC 3164 time: no year to compare (a filter fed through `ErrorLog syslog` has such lines). */
  yearless: boolean;
}

function connectionOf(line: string): Connection | undefined {
  const header = readSyslogHeader(line);
  if (header?.pid === undefined || header.program === undefined) return undefined;
  const t = header.time;
  const b = 'bsd' in t ? t.bsd : undefined;
  const second = b !== undefined ? Date.UTC(2000, b.month - 1, b.day, b.hour, b.minute, b.second) / 1000 : 'iso' in t ? Math.floor(Date.parse(t.iso) / 1000) : Number.NaN;
  if (Number.isNaN(second)) return undefined;
  return { key: `${header.host ?? ''} ${header.program}[${header.pid}]`, second, yearless: 'bsd' in t };
}

/** How far apart two lines of one attempt may be: PAM's failure delay is 2 s by default. */
const SAME_ATTEMPT_SECONDS = 10;

/**
 * OpenSSH logs one attempt on several lines (`error: PAM: …` then `Failed …`, `Invalid user X`
 * then `Failed password for invalid user X`); fail2ban labels each, Ratchet counts the attempt once.
 * A labelled line the parser ignored as such a repeat is found when another line of the same
 * connection, within seconds, yielded a failure from the labelled address — never when that line
 * is absent (fail2ban's samples are mostly lone lines, and those stay misses).
 */
function countedByItsConnection(expected: FailJson, connection: Connection | undefined, subject: string, lines: readonly ReadLine[], c: Fail2banCase): boolean {
  if (connection === undefined || expected.host === undefined) return false;
  const host = canonicalAddress(expected.host);
  if (host === undefined) return false;
  return lines.some(
    (other) =>
      other.subject !== subject &&
      other.connection?.key === connection.key &&
      Math.abs(other.connection.second - connection.second) <= SAME_ATTEMPT_SECONDS &&
      other.outcome.status === 'ok' &&
      other.outcome.events.some((e) => isMatch(c, e) && e.client?.ip !== undefined && canonicalAddress(e.client.ip) === host),
  );
}

function readFilterOptions(text: string, where: string): FilterOptions {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UnreadableDataset(where, 'filterOptions: not JSON');
  }
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || !list.every(isRecord)) throw new UnreadableDataset(where, 'filterOptions: must be an object or a list of objects');
  return list;
}

/** Undefined when fail2ban's default jail tests the line; otherwise why it is not counted. */
function outsideDefaultJail(filter: string, options: FilterOptions, expectation: FailJson): string | undefined {
  const inDefaultMode = options.filter((o) => o['mode'] === undefined || o['mode'] === 'normal');
  if (inDefaultMode.length === 0) {
    const modes = [...new Set(options.map((o) => String(o['mode'])))].join('/');
    return `labelled for fail2ban's ${modes} mode only, not its default jail`;
  }
  const defaults = inDefaultMode.filter((o) => holds(o['test.condition'], filter, o));
  if (defaults.length === 0) return `tested by fail2ban only for another filter (test.condition ${inDefaultMode.map((o) => JSON.stringify(o['test.condition'])).join(', ')})`;
  if (expectation.constraint !== undefined && !defaults.some((o) => holds(expectation.constraint, filter, o))) return `constraint "${expectation.constraint}" is false in the default jail`;
  // fail2ban resolves a host name (and reads spellings like 192.030.0.6) to ban it; an AuthEvent
  // keeps a client address only (`client.ip`), never a name the client's DNS controls.
  if (expectation.match && expectation.host !== undefined && canonicalAddress(expectation.host) === undefined) return 'the host is a name or a spelling that is not an IP address: Ratchet keeps client addresses only';
  return undefined;
}

/**
 * The conditions fail2ban's samples use: `name == 'x'`, `opts.get('mode') == 'x'` (and `!=`),
 * joined by `and`. Anything else is not understood and counts as false, which the note then names.
 */
function holds(condition: unknown, filter: string, options: Record<string, unknown>): boolean {
  if (condition === undefined) return true;
  if (typeof condition !== 'string') return false;
  return condition.split(/\s+and\s+/).every((term) => {
    const m = /^\s*(name|opts\.get\('(\w+)'\))\s*(==|!=)\s*'([^']*)'\s*$/.exec(term);
    if (m === null) return false;
    const actual = m[1] === 'name' ? filter : options[m[2] as string];
    return (actual === m[4]) === (m[3] === '==');
  });
}

function readFailJson(text: string, where: string): FailJson {
  const value = readJsonObject(text, where, 'failJSON');
  if (typeof value['match'] !== 'boolean') throw new UnreadableDataset(where, 'failJSON: match must be true or false');
  const json: FailJson = { match: value['match'] };
  if (typeof value['host'] === 'string') json.host = value['host'];
  if (typeof value['time'] === 'string') json.time = value['time'];
  if (typeof value['constraint'] === 'string') json.constraint = value['constraint'];
  return json;
}

/** Whether an event is what the filter's `match: true` lines must become (see `Fail2banCase.match`). */
function isMatch(c: Fail2banCase, event: AuthEvent): boolean {
  const status = event.target?.status ?? Number(/^http (\d{3})$/.exec(event.reason ?? '')?.[1]);
  const failedLogin = event.outcome === 'failure' && (event.action === 'login' || event.action === 'mfa');
  switch (c.match) {
    case 'failure':
      return event.outcome === 'failure';
    case 'client-error':
      return event.outcome === 'failure' || (status >= 400 && status < 500);
    case 'login-failure':
      return failedLogin;
    case 'auth-refusal':
      return failedLogin || (event.outcome === 'failure' && (status === 401 || status === 407));
  }
}

/** Undefined when a failure has the expected address and time; otherwise what is wrong. */
function checkMatch(expected: FailJson, failures: readonly AuthEvent[], outcome: RecordOutcome, yearless: boolean): string | undefined {
  switch (outcome.status) {
    case 'unsupported':
      return `unsupported: ${outcome.reason}`;
    case 'refused':
      return `refused: ${outcome.reason}`;
    case 'ignored':
      return `ignored by ${outcome.source}: ${outcome.what}`;
    case 'ok':
      break;
  }
  if (failures.length === 0) return `no failure read: ${outcome.events.map(describe).join('; ')}`;
  let candidates = failures;
  if (expected.host !== undefined) {
    const host = canonicalAddress(expected.host);
    if (host === undefined) return `host ${expected.host} is not an IP address (a name fail2ban resolves, or a spelling Ratchet refuses): Ratchet keeps client addresses only`;
    candidates = failures.filter((f) => f.client?.ip !== undefined && canonicalAddress(f.client.ip) === host);
    if (candidates.length === 0) return `client.ip ${failures.map((f) => f.client?.ip ?? '(none)').join(', ')}, expected ${expected.host}`;
  }
  if (expected.time !== undefined) {
    const time = expected.time;
    if (!candidates.some((f) => sameTime(f.ts, time, yearless))) return `time ${candidates.map((f) => f.time).join(', ')}, expected ${time} (fail2ban's wall clock in ${FAIL2BAN_TEST_ZONE} or as written)`;
  }
  return undefined;
}

/** `ts` read as UTC or as fail2ban's test zone gives the expected wall clock (to the second; without the year for syslog). */
export function sameTime(ts: number, expected: string, yearless: boolean): boolean {
  const want = expected.slice(0, 19);
  const utc = new Date(ts).toISOString().slice(0, 19);
  const local = zurich.format(new Date(ts)).replace(' ', 'T');
  const cut = (s: string): string => (yearless ? s.slice(5) : s);
  return cut(utc) === cut(want) || cut(local) === cut(want);
}

function describe(e: AuthEvent): string {
  return `${e.action}/${e.outcome}${e.reason ? ` (${e.reason})` : ''}${e.client?.ip ? ` from ${e.client.ip}` : ''}`;
}
