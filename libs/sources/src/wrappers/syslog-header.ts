import { isoTime } from '../json/json-record';
import type { ParseContext } from '../source-parser';
import { monthNumber } from '../http/http-time';

/**
 * The syslog header in front of a program's message, in the three shapes log files hold:
 * - RFC 3164 (BSD, rsyslog's default file format): `[<PRI>]Mmm dd hh:mm:ss [host] tag[pid]: msg`,
 *   also `[tag]: msg` and `[tag] msg` (old BSD daemons) and a missing host (`Nov 23 21:50:19 sshd[8148]: …`);
 * - an ISO-8601 time in place of the BSD one: rsyslog's `RSYSLOG_FileFormat` and
 *   `journalctl -o short-iso|short-iso-precise` (`2026-11-24T10:00:00.123456+01:00 host sshd[81]: …`);
 * - RFC 5424: `<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD…]|- msg`.
 */
export interface SyslogHeader {
  /** Where the message starts in the line. */
  messageAt: number;
  host?: string;
  program?: string;
  pid?: string;
  /** The header's time: ISO-8601 (UTC) when it is complete; the BSD parts when it has no year. */
  time: { iso: string } | { bsd: BsdTime } | { none: true };
}

export interface BsdTime {
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The tag: `prog[pid]:`, `prog:`, `[prog]:` or `[prog]` followed by a space. */
const TAG = String.raw`(?:\[([\w./-]{1,64})\]:?|([\w./-]{1,64}?)(?:\[(\d{1,10})\])?:)(?: |$)`;
const BSD = new RegExp(String.raw`^(?:<\d{1,3}>)?([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d\d):(\d\d):(\d\d) (?:(\S{1,255}) )??${TAG}`);
const ISO = new RegExp(String.raw`^(?:<\d{1,3}>)?(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:?\d\d)) (?:(\S{1,255}) )??${TAG}`);
/** Structured data: `-` or `[id k="v" …]…`, a value may hold an escaped `"`, `]` or `\`. */
const RFC5424 = /^<\d{1,3}>1 (\S+) (\S+) (\S+) (\S+) \S+ (?:-|(?:\[(?:[^\]"]|"(?:[^"\\]|\\.)*")*\])+)(?: |$)/;

const nil = (value: string | undefined): string | undefined => (value === undefined || value === '-' ? undefined : value);

/** The header at the start of `line`, or undefined when the line does not start with one. */
export function readSyslogHeader(line: string): SyslogHeader | undefined {
  const rfc5424 = RFC5424.exec(line);
  if (rfc5424 !== null) {
    const stamp = nil(rfc5424[1]);
    const iso = stamp === undefined ? undefined : isoTime(stamp);
    const header: SyslogHeader = { messageAt: rfc5424[0].length, time: iso === undefined ? { none: true } : { iso } };
    if (stamp !== undefined && iso === undefined) return undefined;
    return withNames(header, nil(rfc5424[2]), nil(rfc5424[3]), nil(rfc5424[4]));
  }
  const iso = ISO.exec(line);
  if (iso !== null) {
    const time = isoTime(iso[1] as string);
    if (time === undefined) return undefined;
    return withNames({ messageAt: iso[0].length, time: { iso: time } }, iso[2], iso[3] ?? iso[4], iso[5]);
  }
  const bsd = BSD.exec(line);
  if (bsd === null) return undefined;
  const month = monthNumber(bsd[1] as string);
  if (month === 0) return undefined;
  const time: BsdTime = { month, day: +(bsd[2] as string), hour: +(bsd[3] as string), minute: +(bsd[4] as string), second: +(bsd[5] as string) };
  return withNames({ messageAt: bsd[0].length, time: { bsd: time } }, bsd[6], bsd[7] ?? bsd[8], bsd[9]);
}

function withNames(header: SyslogHeader, host: string | undefined, program: string | undefined, pid: string | undefined): SyslogHeader {
  if (host !== undefined) header.host = host;
  if (program !== undefined) header.program = program;
  if (pid !== undefined) header.pid = pid;
  return header;
}

/** The line without its syslog header; the line itself when it has none. */
export function stripSyslogHeader(line: string): string {
  const header = readSyslogHeader(line);
  return header === undefined ? line : line.slice(header.messageAt);
}

/** A BSD time's year: given (`year`), or from the instant the record was received. */
export interface YearSource {
  year?: number;
  receivedAt?: number;
}

const MONTH_MS = 31 * 24 * 3600_000;

/**
 * A BSD time as UTC ISO-8601. RFC 3164 writes neither year nor zone: the zone is read as UTC (as
 * servers in containers run), the year is `year` when given (replaying an archive of a known
 * year), else the year of `receivedAt` — or the year before when that puts the time more than a
 * month after `receivedAt` (December lines read in January). Neither: a problem naming both.
 */
export function isoFromBsdTime(time: BsdTime, from: YearSource): { iso: string } | { problem: string } {
  let year = from.year;
  if (year === undefined) {
    if (from.receivedAt === undefined || !Number.isFinite(from.receivedAt)) {
      return { problem: 'time: syslog (RFC 3164) gives no year; set the parser\'s year or pass the time the record was received' };
    }
    year = new Date(from.receivedAt).getUTCFullYear();
    if (Date.UTC(year, time.month - 1, time.day, time.hour, time.minute, time.second) > from.receivedAt + MONTH_MS) year -= 1;
  }
  const date = new Date(Date.UTC(year, time.month - 1, time.day, time.hour, time.minute, time.second));
  if (date.getUTCMonth() !== time.month - 1 || date.getUTCDate() !== time.day || time.hour > 23 || time.minute > 59 || time.second > 59) {
    return { problem: `time: not a real date and time in ${year}` };
  }
  return { iso: date.toISOString() };
}

/** The header's time as UTC ISO-8601: complete times as they are, BSD ones with the year from `options` or `context`. */
export function isoFromHeader(header: SyslogHeader, options: { year?: number }, context: ParseContext | undefined): { iso: string } | { problem: string } {
  if ('iso' in header.time) return { iso: header.time.iso };
  if ('none' in header.time) return { problem: 'time: missing (RFC 5424 "-")' };
  const from: YearSource = {};
  if (options.year !== undefined) from.year = options.year;
  if (context?.receivedAt !== undefined) from.receivedAt = context.receivedAt;
  return isoFromBsdTime(header.time.bsd, from);
}
