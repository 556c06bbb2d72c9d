import type { AuthAction, AuthDetailsDto, AuthEventInput, ClientDto, Outcome, PrincipalDto, TargetDto } from '@ratchet/contracts';
import { ignoredRecord, refusedRecord, type SourceParser, type SourceResult } from '../source-parser';
import { clip, hostWithoutPort, isIpAddress, recordId, splitRequestLine } from '../http/http-access';
import { isoFromErrorLogTime } from '../http/http-time';

/**
 * `2026/11/24 10:00:00 [error] 12#12: *34 <message>, client: …`, optionally behind a syslog or
 * journal prefix that ends in `: ` (`host nginx[12]: 2026/11/24 …`).
 */
const ERROR_LINE_HEAD = /^(?:.{0,256}?: )?(\d{4})\/(\d\d)\/(\d\d) (\d\d):(\d\d):(\d\d) \[([a-z]+)\] \d+#\d+: (?:\*\d+ )?/;

/**
 * The context NGINX appends to a request's error, in its fixed order, read from its `, client: `.
 * NGINX escapes none of it, nor the user name before it, so a client can write a look-alike
 * `, client: …` into a user name, the request line or the Referer: see `contextOf`.
 */
const CONTEXT = /, client: ([^,\s]+), server: ([^,\s]*)(?:, request: "([^"]*)")?(?:, subrequest: "[^"]*")?(?:, upstream: "[^"]*")?(?:, host: "([^"\s]*)")?/y;

const CLIENT_MARK = ', client: ';

interface Context {
  /** Where the context starts: the message is the text before it. */
  at: number;
  client: string;
  server: string;
  request?: string;
  host?: string;
}

/**
 * The context NGINX wrote. After a fixed-text message (rate limits, TLS) it is the first
 * `, client: `. A message that quotes a client-chosen user name may hide a look-alike before the
 * real one, and a Referer one after it, so there `, client: ` must occur exactly once: a line
 * with several is refused rather than risk blaming an address the client chose. (The access
 * log's entry for the same request, where NGINX escapes every value, still counts it.)
 */
function contextOf(line: string, from: number, quotesUser: boolean): Context | string {
  const first = line.indexOf(CLIENT_MARK, from);
  if (first < 0) return 'client: missing (expected ", client: <address>, server: <name>")';
  if (quotesUser && line.indexOf(CLIENT_MARK, first + 1) >= 0) {
    return "client: appears more than once: text the client chose (a user name, a path, a header) imitates NGINX's context, so the address is ambiguous";
  }
  CONTEXT.lastIndex = first;
  const m = CONTEXT.exec(line);
  if (m === null) return 'server: missing after client';
  const context: Context = { at: first, client: m[1] as string, server: m[2] as string };
  if (m[3] !== undefined) context.request = m[3];
  if (m[4] !== undefined) context.host = m[4];
  return context;
}

/** What one error message means for access. */
interface Finding {
  action: AuthAction;
  outcome: Outcome;
  reason: string;
  user?: string;
  auth?: AuthDetailsDto;
  /** The HTTP status NGINX answers with, where the message fixes it (a missing file: 404). */
  status?: number;
}

/** `limiting requests, excess: 1.8 by zone "login"` → `rate limited by zone login`. */
function withZone(what: string, message: string): string {
  const zone = /by zone "([^"]*)"/.exec(message)?.[1];
  return zone === undefined || zone === '' ? what : `${what} by zone ${zone}`;
}

const BASIC: AuthDetailsDto = { method: 'basic' };
const MTLS: AuthDetailsDto = { method: 'mtls' };
const PASSWORD_MISMATCH = '": password mismatch';
const USER_NOT_FOUND = ' was not found in "';

/**
 * Basic-auth verdicts (`auth_basic`, `auth_pam`), rate and connection limits (a rejection, not a
 * `delaying request` nor a dry run), `deny` rules, forbidden directory indexes, files that do not
 * exist (what scanners hunt for), client-certificate and TLS handshake failures. `message` is the text between the line's head and its context.
 * Undefined: a message about something else.
 */
function findingOf(message: string): Finding | undefined {
  if (message.startsWith('user "')) {
    if (message.endsWith(PASSWORD_MISMATCH)) {
      return { action: 'login', outcome: 'failure', reason: 'password mismatch', user: message.slice(6, -PASSWORD_MISMATCH.length), auth: BASIC };
    }
    // `user "x" was not found in "/etc/nginx/.htpasswd"`; old releases wrote `user "x": was not found …`.
    const notFound = message.lastIndexOf(USER_NOT_FOUND);
    if (notFound >= 7 && message.endsWith('"')) {
      const nameEnd = message[notFound - 1] === ':' ? notFound - 2 : notFound - 1;
      if (message[nameEnd] === '"') return { action: 'login', outcome: 'failure', reason: 'user not found', user: message.slice(6, nameEnd), auth: BASIC };
    }
    return undefined;
  }
  if (message.startsWith('no user/password was provided for basic authentication')) {
    // A browser's first request to a protected location: the 401 that makes it ask for a password.
    return { action: 'login', outcome: 'challenge', reason: 'no credentials', auth: BASIC };
  }
  if (message.startsWith("PAM: user '")) {
    const end = message.indexOf("' - ", 11);
    if (end < 0) return undefined;
    return { action: 'login', outcome: 'failure', reason: clip(`pam: ${message.slice(end + 4)}`, 512), user: message.slice(11, end), auth: BASIC };
  }
  // The answer's status (`limit_req_status`, 503 by default) is not in the error log: `target.status` stays absent.
  if (message.startsWith('limiting requests, excess:')) return { action: 'request', outcome: 'failure', reason: clip(withZone('rate limited', message), 512) };
  if (message.startsWith('limiting connections by zone')) return { action: 'request', outcome: 'failure', reason: clip(withZone('connection limited', message), 512) };
  if (message.startsWith('access forbidden by rule')) return { action: 'request', outcome: 'failure', reason: 'access forbidden by rule', status: 403 };
  if (message.startsWith('directory index of "') && message.endsWith('" is forbidden')) {
    return { action: 'request', outcome: 'failure', reason: 'directory index forbidden', status: 403 };
  }
  // A file the request named does not exist: NGINX answers 404. Like a 404 in the access log, the
  // request passed access control (`success`); probing detectors read the status.
  if ((message.startsWith('open() "') || message.startsWith('"')) && message.endsWith('(2: No such file or directory)')) {
    return { action: 'request', outcome: 'success', reason: 'http 404', status: 404 };
  }
  if (message.startsWith('client SSL certificate verify error: (')) {
    const detail = message.slice(message.indexOf(':', 38) + 1, message.indexOf(')', 38));
    return { action: 'request', outcome: 'failure', reason: clip(`mtls client certificate rejected: ${detail}`, 512), auth: MTLS };
  }
  if (message.startsWith('client sent no required SSL certificate')) {
    return { action: 'request', outcome: 'failure', reason: 'mtls client certificate missing', auth: MTLS };
  }
  if (message.startsWith('SSL_do_handshake() failed (')) {
    const close = message.lastIndexOf(') while');
    const detail = message.slice(27, close < 0 ? undefined : close);
    return { action: 'request', outcome: 'failure', reason: clip(`tls handshake failed: ${detail}`, 512) };
  }
  return undefined;
}

/** Quick test at the message's start (sticky: set `lastIndex`), before any context is read. */
const RELEVANT =
  /(?:user "|no user\/password was provided|PAM: user '|limiting (?:requests|connections)|client SSL certificate verify error|client sent no required SSL certificate|SSL_do_handshake\(\) failed|access forbidden by rule|directory index of "|open\(\) "|"[^"]*" is not found \(2:)/y;

const QUOTES_PATH = /^(?:open\(\) "|"|directory index of ")/;

/**
 * NGINX error-log lines that record an access decision. NGINX writes no zone in its error log:
 * times are read as UTC. Everything else in the error log is `ignored`.
 */
export const nginxErrorParser: SourceParser = {
  id: 'nginx-error',
  summary:
    'NGINX error log: basic-auth/PAM failures (login), missing credentials (challenge), limit_req/limit_conn (reason names the zone), deny rules and forbidden directory indexes (403), missing files (404, probing evidence), client-certificate and TLS handshake failures; times have no zone and are read as UTC',
  framing: 'line',
  parse(record): SourceResult {
    if (typeof record !== 'string') return refusedRecord('(line): must be a text line');
    const head = ERROR_LINE_HEAD.exec(record);
    if (head === null) return refusedRecord('(line): not an NGINX error-log line (expected "yyyy/mm/dd HH:MM:SS [level] pid#tid: …")');
    const time = isoFromErrorLogTime(head[1] as string, head[2] as string, head[3] as string, head[4] as string, head[5] as string, head[6] as string);
    if (time === undefined) return refusedRecord('time: not a real date and time');

    const start = head.index + head[0].length;
    RELEVANT.lastIndex = start;
    if (!RELEVANT.test(record)) return ignoredRecord('nginx error-log line without an access decision');

    // A user name, a file path (from the URI) or a directory is the client's text: it may imitate the context.
    const quotesClientText = record.startsWith('user "', start) || record.startsWith('PAM: ', start) || QUOTES_PATH.test(record.slice(start, start + 20));
    const context = contextOf(record, start, quotesClientText);
    if (typeof context === 'string') return refusedRecord(context);
    const finding = findingOf(record.slice(start, context.at));
    if (finding === undefined) return ignoredRecord('nginx error-log line without an access decision');

    const client: ClientDto = {};
    if (isIpAddress(context.client)) client.ip = context.client;
    else if (context.client !== 'unix:') return refusedRecord('client: not an IP address');

    const target: TargetDto = {};
    // `server:` is the server_name, or the listening address (`0.0.0.0:443`) before one is known.
    const host = hostWithoutPort(context.host ?? (context.server.includes(':') ? '' : context.server));
    if (host !== undefined) target.host = host;
    if (context.request !== undefined) {
      const request = splitRequestLine(context.request);
      if (request.method !== undefined) target.method = request.method;
      if (request.path !== undefined) target.path = request.path;
    }
    if (finding.status !== undefined) target.status = finding.status;

    const principal: PrincipalDto = finding.user ? { type: 'user', id: clip(finding.user, 512) } : { type: 'anonymous' };
    const event: AuthEventInput = {
      id: recordId('nginx-error', record),
      time,
      source: { kind: 'nginx' },
      plane: 'north-south',
      action: finding.action,
      outcome: finding.outcome,
      reason: finding.reason,
      principal,
    };
    if (client.ip !== undefined) event.client = client;
    if (Object.keys(target).length > 0) event.target = target;
    if (finding.auth !== undefined) event.auth = { ...finding.auth };
    return { ok: true, events: [event] };
  },
};
