import type { AuthAction, AuthEventInput, Outcome, PrincipalDto, TargetDto } from '@ratchet/contracts';
import { ignoredRecord, refusedRecord, type ParseContext, type SourceParser, type SourceResult } from '../source-parser';
import { isoFromHeader, readSyslogHeader } from '../wrappers/syslog-header';
import { addressWithoutPort } from '../envoy/envoy-access';
import { clip, recordId } from '../http/http-access';
import { isoFromUtcParts, monthNumber } from '../http/http-time';

export interface ApacheErrorParserOptions {
  /** The year of a syslog (RFC 3164) header's time, when the line has no time of its own. Default: from `ParseContext.receivedAt`. */
  year?: number;
}

/** `[Sat Jul 20 21:34:49.453232 2013] `: httpd's local time, no zone. */
const TIME = /^\[[A-Z][a-z]{2} ([A-Z][a-z]{2}) ( ?\d{1,2}) (\d\d):(\d\d):(\d\d)(?:\.\d{1,6})? (\d{4})\] /;
/** `[auth_basic:error] ` (2.4, `[:error]` without a module) or `[error] ` (2.2), then 2.4's optional `[pid 1:tid 2] `. */
const LEVEL = /^\[(?:([\w-]*):)?([a-z]+\d?)\] (?:\[pid \d+(?::tid \d+)?\] )?/;
/**
 * The client's address as httpd wrote it: `[client …]` is the user agent (after mod_remoteip);
 * `[remote …]` the peer, used when it is the only one given.
 */
const CLIENT = /\[client (\[[^\]\s]{1,64}\]:\d{1,5}|[^\]\s]{1,64})\] /;
/** Up to three `[…] ` groups, one level of nesting (`[client [2001:db8::1]:443]`). */
const LEADING_BRACKETS = /^(?:\[(?:[^[\]]|\[[^[\]]{0,64}\]){0,128}\] ){0,3}/;
const REMOTE = /\[remote (\[[^\]\s]{1,64}\]:\d{1,5}|[^\]\s]{1,64})\] /;

/** What one message means for access. */
interface Finding {
  action: AuthAction;
  outcome: Outcome;
  reason: string;
  user?: string;
  path?: string;
  method?: string;
  status?: number;
}

/**
 * 2.4 messages start with their id (`AH01617: `); 2.2 wrote the same text without it, digest ones
 * behind `Digest: `. User names and paths are the client's text and read greedily to the fixed text
 * that ends them.
 */
const FINDINGS: readonly [RegExp, (m: RegExpExecArray) => Finding][] = [
  [/^user (.*): authentication failure for "(.*)": (.+)$/, (m) => ({ action: 'login', outcome: 'failure', reason: clip((m[3] as string).toLowerCase(), 512), user: m[1], path: m[2] })],
  [/^user `(.*)' in realm `.*' not found: (.*)$/, (m) => ({ action: 'login', outcome: 'failure', reason: 'user not found', user: m[1], path: m[2] })],
  [/^user (.*) not found(?:: (.*))?$/, (m) => ({ action: 'login', outcome: 'failure', reason: 'user not found', user: m[1], path: m[2] })],
  [/^user (.*): password mismatch: (.*)$/, (m) => ({ action: 'login', outcome: 'failure', reason: 'password mismatch', user: m[1], path: m[2] })],
  [/^client used wrong authentication scheme: (.*)$/, (m) => ({ action: 'login', outcome: 'failure', reason: 'wrong authentication scheme', path: m[1] })],
  [/^(invalid nonce|realm mismatch|unknown algorithm|invalid qop)\b/, (m) => ({ action: 'login', outcome: 'failure', reason: `digest ${m[1] as string}`, method: 'digest' })],
  // SSLStrictSNIVHostCheck and name-based virtual hosts: httpd refuses the request (403; 421 when
  // the two names have no common TLS setup) before any handler runs.
  [/^Hostname \S+ provided via SNI, but no hostname provided in HTTP request/, () => ({ action: 'request', outcome: 'failure', reason: 'tls sni mismatch', status: 403 })],
  [/^Hostname \S+ provided via SNI and hostname \S+ provided via HTTP (?:are different|have no compatible SSL setup)/, () => ({ action: 'request', outcome: 'failure', reason: 'tls sni mismatch', status: 421 })],
  [/^No hostname was provided via SNI for a name based virtual host/, () => ({ action: 'request', outcome: 'failure', reason: 'tls sni missing', status: 403 })],
  [/^client denied by server configuration: /, () => ({ action: 'request', outcome: 'failure', reason: 'client denied by server configuration', status: 403 })],
  [/^user (.*): authorization failure for "(.*)": ?(.*)$/, (m) => ({ action: 'request', outcome: 'failure', reason: 'authorization failure', user: m[1], path: m[2], status: 403 })],
  [
    /^Authorization of user (.*) to access (\/\S*) failed, reason: (.*?)\.?$/,
    (m) => ({ action: 'request', outcome: 'failure', reason: clip(`authorization failure: ${m[3] as string}`, 512), user: m[1], path: m[2], status: 403 }),
  ],
];

/**
 * Apache httpd's error log (2.2 and 2.4, also via syslog), the lines that record an access decision:
 * - failed logins (`auth_basic`, `auth_digest`): `AH01617 … authentication failure … Password Mismatch`,
 *   `AH01618 user X not found`, digest `AH01792 password mismatch`, `AH01790 user not found`, and the
 *   digest protocol failures (`AH01777` nonce from the future, `AH01788` realm mismatch, `AH01789`
 *   unknown algorithm, `AH01793` invalid qop), `AH01614` wrong authentication scheme;
 * - refused requests (403): `AH01797`/`AH01630` client denied by server configuration, `AH01631`
 *   and `AH01637` authorization failures (the user authenticated, the resource is not theirs),
 *   `AH02031`/`AH02033` SNI missing or without an HTTP host, `AH02032` SNI and Host disagreeing (421).
 * `AH01776` (a digest nonce this server did not issue: a restart, another server) is ignored.
 * Everything else is ignored. `auth.method` is `digest` for `auth_digest` (2.4) or `Digest:` (2.2)
 * messages, else `basic`. `target.path` is the request path the message names (the denied-by-
 * configuration messages name a file, which is left out).
 * Times: httpd writes its local time without a zone — read as UTC; a line without its own time (sent
 * through syslog) takes the syslog header's, its year from `options.year` or `context.receivedAt`.
 */
export function createApacheErrorParser(options: ApacheErrorParserOptions = {}): SourceParser {
  return {
    id: 'apache-error',
    summary:
      'Apache httpd 2.2/2.4 error log (plain or via syslog): basic/digest authentication failures (login), denied-by-configuration and authorization failures (403); times have no zone and are read as UTC',
    framing: 'line',
    readsSyslogHeader: true,
    parse: (record, context) => parseApacheError(record, options, context),
  };
}

export const apacheErrorParser: SourceParser = createApacheErrorParser();

function parseApacheError(record: unknown, options: ApacheErrorParserOptions, context: ParseContext | undefined): SourceResult {
  if (typeof record !== 'string') return refusedRecord('(line): must be a text line');
  const header = record.startsWith('[') ? undefined : readSyslogHeader(record);
  let rest = header === undefined ? record : record.slice(header.messageAt);

  let time: { iso: string } | { problem: string } | undefined;
  const own = TIME.exec(rest);
  if (own !== null) {
    const [, mon, day, hh, mm, ss, year] = own as unknown as [string, string, string, string, string, string, string];
    const iso = isoFromUtcParts(year, monthNumber(mon), day, hh, mm, ss);
    time = iso !== undefined ? { iso } : { problem: 'time: not a real date and time' };
    rest = rest.slice(own[0].length);
  } else if (header !== undefined) {
    time = isoFromHeader(header, options, context);
  } else {
    return refusedRecord('(line): not an Apache error-log line (expected "[Www Mmm dd hh:mm:ss yyyy] [module:level] …")');
  }
  const level = LEVEL.exec(rest);
  if (level === null) {
    // httpd writes to stderr (the journal) before its error log is open: such lines have no level.
    if (header !== undefined && own === null) return ignoredRecord('httpd message that is not an error-log entry');
    return refusedRecord('level: missing (expected "[module:level]" or "[level]" after the time)');
  }
  const module = level[1];
  rest = rest.slice(level[0].length);

  // Only the brackets that open the message: text after them (a path, a user name) is the client's.
  const bracket = LEADING_BRACKETS.exec(rest)?.[0] ?? '';
  const client = CLIENT.exec(bracket) ?? REMOTE.exec(bracket);
  if (client === null) return ignoredRecord('apache error-log line without a client');
  let message = rest.slice(bracket.length);
  const referer = message.indexOf(', referer: ');
  if (referer >= 0) message = message.slice(0, referer);
  message = message.replace(/^AH\d{5}: /, '');
  const digest = message.startsWith('Digest: ') || module === 'auth_digest';
  if (message.startsWith('Digest: ')) message = message.slice('Digest: '.length);

  // AH01776 "invalid nonce … received - hash is not …": the nonce was not issued by this server
  // with its current secret — after a restart, or by another server behind the balancer (a forged
  // one looks the same). httpd challenges again; no credential was judged, and honest browsers
  // produce these in bursts after every restart, so they are not failed logins.
  if (/^invalid nonce \S* ?received - hash is not /.test(message)) return ignoredRecord('digest nonce not issued by this server (restart, another server): challenged again, no credential judged');

  let finding: Finding | undefined;
  for (const [pattern, read] of FINDINGS) {
    const m = pattern.exec(message);
    if (m !== null) {
      finding = read(m);
      break;
    }
  }
  if (finding === undefined) return ignoredRecord('apache error-log line without an access decision');
  if ('problem' in time) return refusedRecord(time.problem);
  const address = addressWithoutPort(client[1] as string);
  if (address === undefined) return refusedRecord('client: not an IP address');

  const principal: PrincipalDto = finding.user !== undefined && finding.user !== '' ? { type: 'user', id: clip(finding.user, 512) } : { type: 'anonymous' };
  const event: AuthEventInput = {
    id: recordId('apache-error', record),
    time: time.iso,
    source: { kind: 'apache' },
    plane: 'north-south',
    action: finding.action,
    outcome: finding.outcome,
    reason: finding.reason,
    principal,
    client: { ip: address },
  };
  const target: TargetDto = {};
  if (finding.path !== undefined && finding.path.startsWith('/')) target.path = clip(finding.path, 4096);
  if (finding.status !== undefined) target.status = finding.status;
  else if (finding.action === 'login') target.status = 401;
  if (Object.keys(target).length > 0) event.target = target;
  if (finding.action === 'login') event.auth = { method: finding.method ?? (digest ? 'digest' : 'basic') };
  return { ok: true, events: [event] };
}
