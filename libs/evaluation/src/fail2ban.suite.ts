import type { AuthEvent } from '@ratchet/contracts';
import { canonicalAddress } from '@ratchet/kernel';
import type { DatasetFiles } from './dataset-files.port';
import { readJsonObject, UnreadableDataset } from './dataset-error';
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
}

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

function evaluateFilter(c: Fail2banCase, text: string, env: ReplayEnvironment, tally: Tally): void {
  tally.touch(c.filter);
  const reader = new RecordReader(env);
  let pending: FailJson | undefined;
  let tested = 0;
  for (const [i, line] of text.split(/\r?\n/).entries()) {
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const m = /^#\s*failJSON:\s*(\{.*\})\s*$/.exec(line);
      if (m) pending = readFailJson(m[1] as string, `${c.filter}:${i + 1}`);
      continue;
    }
    const outcome = reader.read(line, c.sources);
    const expectation = pending;
    pending = undefined;
    if (expectation === undefined) continue;
    tested++;
    const subject = `${c.filter}:${i + 1}`;
    const failures = outcome.status === 'ok' ? outcome.events.filter((e) => isMatch(c, e)) : [];
    if (!expectation.match) {
      if (failures.length > 0) tally.miss({ case: c.filter, indicator: c.filter, kind: 'FP', subject, why: `failure read from a line fail2ban does not match: ${describe(failures[0] as AuthEvent)}` });
      continue;
    }
    const problem = checkMatch(expectation, failures, outcome, c);
    if (problem === undefined) tally.hit(c.filter);
    else tally.miss({ case: c.filter, indicator: c.filter, kind: 'FN', subject, why: problem });
  }
  tally.notes.push(`${c.filter}: ${tested} labelled lines read with ${c.sources.join(' or ')}`);
}

function readFailJson(text: string, where: string): FailJson {
  const value = readJsonObject(text, where, 'failJSON');
  if (typeof value['match'] !== 'boolean') throw new UnreadableDataset(where, 'failJSON: match must be true or false');
  const json: FailJson = { match: value['match'] };
  if (typeof value['host'] === 'string') json.host = value['host'];
  if (typeof value['time'] === 'string') json.time = value['time'];
  return json;
}

function isMatch(c: Fail2banCase, event: AuthEvent): boolean {
  if (event.outcome === 'failure') return true;
  if (c.match !== 'client-error') return false;
  const status = event.target?.status ?? Number(/^http (\d{3})$/.exec(event.reason ?? '')?.[1]);
  return status >= 400 && status < 500;
}

/** Undefined when a failure has the expected address and time; otherwise what is wrong. */
function checkMatch(expected: FailJson, failures: readonly AuthEvent[], outcome: RecordOutcome, c: Fail2banCase): string | undefined {
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
    if (!candidates.some((f) => sameTime(f.ts, time, c.yearless))) return `time ${candidates.map((f) => f.time).join(', ')}, expected ${time} (fail2ban's wall clock in ${FAIL2BAN_TEST_ZONE} or as written)`;
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
