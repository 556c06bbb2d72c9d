import type { AuthEventInput, AuthAction, Outcome, PrincipalDto } from '@ratchet/contracts';
import { ignoredRecord, refusedRecord, type ParseContext, type SourceParser, type SourceResult } from '../source-parser';
import { isoFromHeader, readSyslogHeader } from '../wrappers/syslog-header';
import { clip, hostWithoutPort, isIpAddress, recordId } from '../http/http-access';

export interface SshdParserOptions {
  /**
   * The year of RFC 3164 times, which carry none: set it to replay an archive of a known year.
   * Default: none — the year is taken from `ParseContext.receivedAt` (see `isoFromBsdTime`), and a
   * line without either is refused.
   */
  year?: number;
}

/** sshd's program names: `sshd`, and since OpenSSH 9.8 the per-connection `sshd-session` (10.0: `sshd-auth`). */
const SSHD_PROGRAM = /^sshd(?:-session|-auth)?$/;

/** What one message means; `ignored` says why a message about a login is not counted. */
type Reading =
  | { action: AuthAction; outcome: Outcome; reason?: string; user?: string; address?: string; method?: string }
  | { ignored: string }
  | { refused: string };

/**
 * `… from <address>[ port <n>][ ssh2]` followed by the end or by `: <info>`. The user name before
 * it and the info after it are the client's text, so a look-alike can sit on either side: the
 * address is the one candidate that is a real address and ends the line or starts the info; two
 * such candidates make the line ambiguous (refused, never blamed on an address the client chose).
 */
const FROM = / from (\S+)(?: port (\d{1,5}))?(?: ssh[12])?(?=$|: )/g;

function splitAtAddress(rest: string): { user: string; address: string } | { refused: string } | undefined {
  const found = [...rest.matchAll(FROM)].filter((m) => isIpAddress(m[1] as string));
  if (found.length === 0) return undefined;
  if (found.length > 1) return { refused: 'from: more than one address: the user name or the client\'s info imitates sshd\'s, so the address is ambiguous' };
  const m = found[0] as RegExpMatchArray;
  return { user: rest.slice(0, m.index), address: m[1] as string };
}

/** `keyboard-interactive/pam` → `keyboard-interactive`: the method, not the back end behind it. */
const methodOf = (raw: string): string => clip(raw.split('/')[0] as string, 64);

function readAttempt(verdict: string, method: string, rest: string): Reading {
  const invalid = rest.startsWith('invalid user ');
  const split = splitAtAddress(invalid ? rest.slice('invalid user '.length) : rest);
  if (split === undefined) return { refused: 'from: missing (expected "for <user> from <address> port <n> ssh2")' };
  if ('refused' in split) return split;
  if (verdict === 'Accepted') return { action: 'login', outcome: 'success', user: split.user, address: split.address, method: methodOf(method) };
  if (invalid) return { ignored: `failed ${method} for an unknown user: the attempt was counted once, by its "Invalid user" line` };
  if (method === 'none') return { ignored: 'failed none: the client asking which methods are allowed, not a credential' };
  if (method === 'publickey') return { ignored: 'failed publickey: a key offered and declined (clients try each key they hold)' };
  if (split.user === '<invalid username>') return { action: 'login', outcome: 'failure', reason: 'unknown user', address: split.address, method: methodOf(method) };
  return { action: 'login', outcome: 'failure', reason: 'invalid credentials', user: split.user, address: split.address, method: methodOf(method) };
}

const ATTEMPT = /^(Accepted|Failed) (\S+) for (.+)$/;
const INVALID_USER = /^[Ii](?:nvalid|llegal) user (.*)$/;
const NOT_ALLOWED = /^User (\S+) from (\S+) not allowed because (.+)$/;
const NO_IDENTIFICATION = /^Did not receive identification string from (\S+)/;

/** Messages about a login that another line already counts, with the line that counts it. */
const REPEATS: readonly [RegExp, string][] = [
  [/^pam_unix\(sshd:auth\): authentication failure;/, 'pam_unix authentication failure: counted by its "Failed password" line'],
  [/^pam_unix\(sshd:auth\): check pass;/, 'pam_unix check: counted by its "Failed password" line'],
  [/^error: PAM: /, 'PAM failure: counted by its "Failed keyboard-interactive/pam" line'],
  [/^(?:error: )?maximum authentication attempts exceeded/, 'too many authentication failures: each attempt was counted by its own line'],
  [/^Disconnecting(?::| invalid user| authenticating user).*[Tt]oo many authentication failures/, 'too many authentication failures: each attempt was counted by its own line'],
  [/^ROOT LOGIN REFUSED/, 'root login refused: counted by its "Failed" line'],
  [/^(?:Connection (?:closed|reset) by|Disconnected from|Received disconnect from|error: Received disconnect from)/, 'connection ended'],
];

function readMessage(message: string): Reading {
  const attempt = ATTEMPT.exec(message);
  if (attempt !== null) return readAttempt(attempt[1] as string, attempt[2] as string, attempt[3] as string);

  const invalid = INVALID_USER.exec(message);
  if (invalid !== null) {
    // One line per connection, when the name turns out unknown: the connection's failed login.
    const split = splitAtAddress(invalid[1] as string);
    if (split === undefined) return { refused: 'from: missing (expected "Invalid user <user> from <address>")' };
    if ('refused' in split) return split;
    return { action: 'login', outcome: 'failure', reason: 'unknown user', user: split.user, address: split.address };
  }

  const notAllowed = NOT_ALLOWED.exec(message);
  if (notAllowed !== null) {
    // AllowUsers/DenyUsers/AllowGroups/DenyGroups: logged instead of "Invalid user", once per connection.
    const address = notAllowed[2] as string;
    const reading: Reading = { action: 'login', outcome: 'failure', reason: clip(`user not allowed: ${notAllowed[3] as string}`, 512), user: notAllowed[1] as string };
    return isIpAddress(address) ? { ...reading, address } : reading;
  }

  const scan = NO_IDENTIFICATION.exec(message);
  if (scan !== null) {
    if (!isIpAddress(scan[1] as string)) return { refused: 'from: not an IP address' };
    return { action: 'request', outcome: 'failure', reason: 'no ssh identification string', address: scan[1] as string };
  }
  for (const [pattern, what] of REPEATS) if (pattern.test(message)) return { ignored: what };
  return { ignored: 'sshd message without a login outcome' };
}

/** Solaris and illumos put `[ID 800047 auth.info] ` before the message. */
const SOLARIS_MSGID = /^\[ID \d+ [a-z]+\.[a-z]+\] /;

/**
 * OpenSSH's server log, read from syslog: RFC 3164 (`Mon dd hh:mm:ss host sshd[pid]: …`), an ISO
 * time in its place (rsyslog's file format, `journalctl -o short-iso[-precise]`) or RFC 5424.
 * Lines from other programs are ignored, so a whole `auth.log` can be sent.
 *
 * What counts, so that one attempt counts once (OpenSSH often logs an attempt two or three times):
 * - **Failed login**: `Failed password|keyboard-interactive[/pam]|hostbased|gssapi-with-mic for X from IP`
 *   (`invalid credentials`), one per attempt; `Invalid user X from IP` (`unknown user`) and
 *   `User X from IP not allowed because …` (`user not allowed: …`), which OpenSSH logs once per
 *   connection when the name is refused — the `Failed … for invalid user X` lines that follow on
 *   that connection are then ignored, so a bot's unknown name counts once per connection (a
 *   connection that tries several passwords for an unknown name counts as one).
 * - **Success**: `Accepted password|publickey|keyboard-interactive|… for X from IP` (`auth.method`).
 * - **Scan**: `Did not receive identification string from IP` → a failed `request` (no SSH spoken).
 * - **Ignored**, with the line that already counts them: `pam_unix(sshd:auth): authentication failure`
 *   and `error: PAM: Authentication failure for X from H` (each precedes the `Failed` line of the same
 *   attempt), `maximum authentication attempts exceeded` / `Disconnecting: Too many authentication
 *   failures` (after the attempts), `ROOT LOGIN REFUSED`; also `Failed none` (a method probe),
 *   `Failed publickey` for a known user (clients offer each key they hold before the right one; with
 *   the default log level sshd logs them only after several), connection closes, resets and
 *   disconnects (`[preauth]` or not), and every other message.
 * Known limit: a client that only offers wrong keys is not counted (its `maximum authentication
 * attempts exceeded` line is ignored like everyone's).
 *
 * Plane `north-south`, principal the user name as typed, `client.ip`, `target.host` the syslog host,
 * `auth.method` the SSH method (`keyboard-interactive/pam` → `keyboard-interactive`). Times: an
 * RFC 3164 time has no year nor zone — read as UTC in `options.year`, else in the year of
 * `context.receivedAt` (the year before when that would put it more than a month ahead); ISO and
 * RFC 5424 times keep their offset (as UTC). Id: sha1 of the line.
 */
export function createSshdParser(options: SshdParserOptions = {}): SourceParser {
  return {
    id: 'sshd',
    summary:
      'OpenSSH server log via syslog (RFC 3164, RFC 5424, journal short-iso): Failed/Accepted logins, Invalid user and AllowUsers refusals once per connection, identification-less scans; PAM repeats ignored; RFC 3164 year from options or the receive time',
    framing: 'line',
    readsSyslogHeader: true,
    parse: (record, context) => parseSshdLine(record, options, context),
  };
}

export const sshdParser: SourceParser = createSshdParser();

function parseSshdLine(record: unknown, options: SshdParserOptions, context: ParseContext | undefined): SourceResult {
  if (typeof record !== 'string') return refusedRecord('(line): must be a text line');
  const header = readSyslogHeader(record);
  if (header === undefined) return refusedRecord('(line): not a syslog line (expected "Mmm dd hh:mm:ss host sshd[pid]: …", an ISO time or RFC 5424)');
  if (header.program === undefined) return refusedRecord('(line): the syslog header names no program');
  if (!SSHD_PROGRAM.test(header.program)) return ignoredRecord(`syslog line from ${clip(header.program, 64)}`);

  const message = record.slice(header.messageAt).replace(SOLARIS_MSGID, '');
  const reading = readMessage(message);
  if ('ignored' in reading) return ignoredRecord(reading.ignored);
  if ('refused' in reading) return refusedRecord(reading.refused);

  const time = isoFromHeader(header, options, context);
  if ('problem' in time) return refusedRecord(time.problem);

  const principal: PrincipalDto = reading.user !== undefined && reading.user !== '' ? { type: 'user', id: clip(reading.user, 512) } : { type: 'anonymous' };
  const event: AuthEventInput = {
    id: recordId('sshd', record),
    time: time.iso,
    source: { kind: 'sshd' },
    plane: 'north-south',
    action: reading.action,
    outcome: reading.outcome,
    principal,
  };
  if (reading.reason !== undefined) event.reason = reading.reason;
  if (reading.address !== undefined) event.client = { ip: reading.address };
  const host = header.host === undefined ? undefined : hostWithoutPort(header.host);
  if (host !== undefined) event.target = { host };
  if (reading.method !== undefined) event.auth = { method: reading.method };
  return { ok: true, events: [event] };
}
