import { isoFromTimeLocal } from './http-time';

/**
 * The NCSA common and combined access-log line, as NGINX, Apache httpd and Traefik write it:
 * `<address> <ident> <user> [<dd/Mon/yyyy:HH:MM:SS ±hhmm>] "<request>" <status> <bytes>`, then in
 * `combined` `"<referer>" "<user agent>"`, then whatever a format appends (the tail).
 * Products name the fields differently (NGINX `$remote_addr`, Apache `%h`); a dialect gives the
 * names, so a refusal names the field as the operator's format string spells it.
 */
export interface CombinedDialect {
  names: {
    address: string;
    user: string;
    time: string;
    request: string;
    status: string;
    bytes: string;
    referer: string;
    userAgent: string;
  };
  /**
   * How a quote inside a quoted field is written: NGINX `\x22` (a quoted field never holds a bare
   * quote); Apache and Traefik `\"` (a backslash escapes the next character).
   */
  quoting: 'hex' | 'backslash';
  /** The common format (no referer, no user agent) is read too, not refused. */
  commonAllowed: boolean;
  /** `-` as the status: the client went away before any response (Traefik). */
  statusMayBeAbsent: boolean;
}

export interface CombinedLine {
  address: string;
  /** As written: `-` when there was none. */
  user: string;
  /** ISO-8601 with the logged offset. */
  time: string;
  /** As written, still escaped. */
  request: string;
  /** Undefined when the line says `-`. */
  status?: number;
  userAgent?: string;
  /** After the user agent (or the bytes, in the common format). */
  tail: string;
}

export interface CombinedReader {
  read(line: string): CombinedLine | { problem: string };
}

/** Bracket contents are bounded (`[time]` has 26 characters) so a line of many `[` stays linear. */
export function compileCombinedReader(dialect: CombinedDialect): CombinedReader {
  const q = dialect.quoting === 'hex' ? '"([^"]*)"' : '"((?:[^"\\\\]|\\\\.)*)"';
  const skip = dialect.quoting === 'hex' ? '"[^"]*"' : '"(?:[^"\\\\]|\\\\.)*"';
  const status = dialect.statusMayBeAbsent ? '(\\d{3}|-)' : '(\\d{3})';
  const agent = dialect.commonAllowed ? `(?: ${skip} ${q})?` : ` ${skip} ${q}`;
  const line = new RegExp(
    `^(\\S+) \\S+ (.+?) \\[(\\d\\d)\\/([A-Z][a-z]{2})\\/(\\d{4}):(\\d\\d):(\\d\\d):(\\d\\d) ([+-])(\\d\\d)(\\d\\d)\\] ${q} ${status} (?:\\d+|-)${agent}(.*)$`,
  );
  const n = dialect.names;
  const head = `^\\S+ \\S+ .+? \\[[^\\]]{0,64}\\] `;
  const statusPattern = dialect.statusMayBeAbsent ? '(?:\\d{3}|-)' : '\\d{3}';
  const diagnosis: readonly [RegExp, string][] = [
    [/^\S+ \S+ /, `${n.address}: missing (expected "${n.address} - ${n.user} [${n.time}] …")`],
    [new RegExp(head), `${n.time}: missing (expected "[dd/Mon/yyyy:HH:MM:SS ±hhmm]" after ${n.user})`],
    [/^\S+ \S+ .+? \[\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] /, `${n.time}: not dd/Mon/yyyy:HH:MM:SS ±hhmm`],
    [new RegExp(`${head}${skip} `), `${n.request}: missing or not quoted`],
    [new RegExp(`${head}${skip} ${statusPattern} `), `${n.status}: not a three-digit HTTP status`],
    [new RegExp(`${head}${skip} ${statusPattern} (?:\\d+|-)(?: |$)`), `${n.bytes}: not a number`],
    [
      new RegExp(`${head}${skip} ${statusPattern} (?:\\d+|-) ${skip} `),
      `${n.referer}: missing or not quoted (the common log format, without referer and user agent, is not read)`,
    ],
  ];
  const diagnose = (text: string): string => {
    if (text.trim() === '') return '(line): is empty';
    for (const [pattern, reason] of diagnosis) if (!pattern.test(text)) return reason;
    return `${n.userAgent}: missing or not quoted`;
  };

  return {
    read(text) {
      const m = line.exec(text);
      if (m === null) return { problem: diagnose(text) };
      const [, address, user, d, mon, y, hh, mm, ss, sign, oh, om, request, statusText, userAgent, tail] = m as unknown as string[];
      const time = isoFromTimeLocal(d as string, mon as string, y as string, hh as string, mm as string, ss as string, sign as string, oh as string, om as string);
      if (time === undefined) return { problem: `${n.time}: not a real date and time` };
      const read: CombinedLine = { address: address as string, user: user as string, time, request: request as string, tail: tail ?? '' };
      if (statusText !== '-') read.status = +(statusText as string);
      if (userAgent !== undefined) read.userAgent = userAgent;
      return read;
    },
  };
}

/** Apache's and Traefik's escapes in a quoted field: `\"`, `\\` and `\xHH` (bytes, decoded as UTF-8). */
export function unescapeBackslashes(value: string): string {
  if (!value.includes('\\')) return value;
  const bytes: number[] = [];
  let out = '';
  const flush = (): void => {
    if (bytes.length > 0) out += new TextDecoder().decode(Uint8Array.from(bytes.splice(0)));
  };
  for (let i = 0; i < value.length; i++) {
    const c = value[i] as string;
    if (c === '\\' && value[i + 1] === 'x' && /^[0-9A-Fa-f]{2}$/.test(value.slice(i + 2, i + 4))) {
      bytes.push(parseInt(value.slice(i + 2, i + 4), 16));
      i += 3;
      continue;
    }
    flush();
    if (c === '\\' && i + 1 < value.length) {
      const next = value[++i] as string;
      out += next === 'n' ? '\n' : next === 't' ? '\t' : next;
    } else {
      out += c;
    }
  }
  flush();
  return out;
}
