import type { AuthEventInput, AuthAction, Outcome, PrincipalDto } from '@ratchet/contracts';
import { ignoredRecord, refusedRecord, type ParseContext, type SourceParser, type SourceResult } from '../source-parser';
import { detached, type StreamMemory } from '../stream-memory';
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
  | {
      action: AuthAction;
      outcome: Outcome;
      reason?: string;
      user?: string;
      address?: string;
      method?: string;
      /** Which attempt the line reports (see `attemptKey`); absent: the line is an occurrence of its own. */
      attempt?: 'connection' | 'second';
    }
  /** `offered`: a declined key or a method probe, not counted, but naming the connection's user and address. */
  | { ignored: string; offered?: { user: string; address: string } }
  | { refused: string };

/**
 * `… from <address>[ port <n>][ ssh2]` followed by the end or by `: <info>`. The user name before
 * it and the info after it are the client's text, so a look-alike can sit on either side: the
 * address is the one candidate that is a real address and ends the line or starts the info; two
 * such candidates make the line ambiguous (refused, never blamed on an address the client chose).
 */
const FROM = / from (\S+)(?: port (\d{1,5}))?(?: ssh[12])?(?=$|: )/g;

/**
 * OpenSSH's `Failed|Accepted <method> for <user> from <address> port <n> ssh2[: <info>]` always
 * names the port (since 5.x), and prints at most 100 characters of the user name (`%.100s`): when
 * several candidates remain, a look-alike without a port (in the info) is not the suffix, nor is
 * one that starts past the name's limit. Known limit: an sshd old enough to write no port can be
 * fooled by a user name that imitates the port-bearing suffix.
 */
const USER_NAME_LIMIT = 100;

function splitAtAddress(rest: string, withPort = false): { user: string; address: string } | { refused: string } | undefined {
  let found = [...rest.matchAll(FROM)].filter((m) => isIpAddress(m[1] as string));
  // A lone candidate stands (sshd before 5.x wrote no port); among several, only sshd's own shape.
  if (withPort && found.length > 1) found = found.filter((m) => m[2] !== undefined && m.index <= USER_NAME_LIMIT);
  if (found.length === 0) return undefined;
  if (found.length > 1) return { refused: 'from: more than one address: the user name or the client\'s info imitates sshd\'s, so the address is ambiguous' };
  const m = found[0] as RegExpMatchArray;
  return { user: rest.slice(0, m.index), address: m[1] as string };
}

/** `keyboard-interactive/pam` → `keyboard-interactive`: the method, not the back end behind it. */
const methodOf = (raw: string): string => clip(raw.split('/')[0] as string, 64);

function readAttempt(verdict: string, method: string, rest: string): Reading {
  const invalid = rest.startsWith('invalid user ');
  const split = splitAtAddress(invalid ? rest.slice('invalid user '.length) : rest, true);
  if (split === undefined) return { refused: 'from: missing (expected "for <user> from <address> port <n> ssh2")' };
  if ('refused' in split) return split;
  if (verdict === 'Accepted') return { action: 'login', outcome: 'success', user: split.user, address: split.address, method: methodOf(method) };
  // An unknown name: the connection's one failed attempt, whatever the method (the "Invalid user"
  // line of the same connection reports the same attempt).
  if (invalid) return unknownUser(split.user, split.address, methodOf(method));
  const offered = { user: split.user, address: split.address };
  if (method === 'none') return { ignored: 'failed none: the client asking which methods are allowed, not a credential', offered };
  if (method === 'publickey') return { ignored: 'failed publickey: a key offered and declined (clients try each key they hold)', offered };
  if (split.user === '<invalid username>') return { action: 'login', outcome: 'failure', reason: 'unknown user', address: split.address, method: methodOf(method), attempt: 'connection' };
  return { action: 'login', outcome: 'failure', reason: 'invalid credentials', user: split.user, address: split.address, method: methodOf(method), attempt: 'second' };
}

function unknownUser(user: string, address: string, method?: string): Reading {
  const reading: Reading = { action: 'login', outcome: 'failure', reason: 'unknown user', user, address, attempt: 'connection' };
  return method === undefined ? reading : { ...reading, method };
}

/** `<user> from <address>` at the end of a message (PAM's `… [via <server address>]` cut off first). */
function userFrom(rest: string, what: string, unknown: boolean): Reading {
  const split = splitAtAddress(rest.replace(/ via \S+$/, '').trimEnd());
  if (split === undefined) return { refused: `from: missing (expected "${what} <user> from <address>")` };
  if ('refused' in split) return split;
  if (unknown) return unknownUser(split.user, split.address);
  return { action: 'login', outcome: 'failure', reason: 'invalid credentials', user: split.user, address: split.address, attempt: 'second' };
}

const ATTEMPT = /^(Accepted|Failed) (\S+) for (.+)$/;
const INVALID_USER = /^[Ii](?:nvalid|llegal) user (.*)$/;
const NOT_ALLOWED = /^User (\S+) from (\S+) not allowed because (.+)$/;
const NO_IDENTIFICATION = /^Did not receive identification string from (\S+)/;
/** OpenSSH 8+: `banner exchange: Connection from <address> port <n>: invalid format` (and other reasons): the client spoke no SSH. */
const BANNER_EXCHANGE = /^banner exchange: Connection from (\S+) port \d{1,5}: (.+)$/;
/** libwrap (`hosts.deny`): `refused connect from [<user>@]<host> (<address>)`. */
const WRAP_REFUSED = /^refused connect from \S+ \((\S+)\)$/;

/**
 * Lines that report an attempt another line of the same connection reports too: they yield the
 * failure with the attempt's identity (`attemptKey`), so the detectors count the attempt once.
 */
const PAM_FAILURE = /^error: PAM: (?:[Aa]uthentication (?:failure|error)|User not known to the underlying authentication module) for (illegal user |invalid user )?(.+)$/;
const ROOT_REFUSED = /^ROOT LOGIN REFUSED FROM (\S+?)(?: port \d{1,5})?(?: \[preauth\])?\s*$/;
const TOO_MANY = /^(?:error: )?maximum authentication attempts exceeded for (invalid user )?(.+?)(?: \[preauth\])?$/;
/** `Disconnecting|Disconnected from|Connection closed by|Connection reset by (invalid|authenticating) user X <address> port P…`. */
const PREAUTH_END = /^(?:Disconnecting|Disconnected from|Connection (?:closed|reset) by) (invalid|authenticating) user (.*) (\S+) port \d{1,5}(?::.*| \[preauth\])?$/;

/** `Received disconnect from <address>[ port <n>]:[ ]<code>: … Auth fail[ [preauth]]`: the client (JSch and its kin) saying its authentication failed. */
const CLIENT_AUTH_FAIL = /^(?:error: )?Received disconnect from (\S+?)(?: port \d{1,5})?: ?\d+: .*Auth fail(?: \[preauth\])?$/;

/** Messages that report nothing another line does not count better, with why. */
const REPEATS: readonly [RegExp, string][] = [
  // pam_unix logs the first failure of a connection before PAM's failure delay, two or more seconds
  // before the "Failed password" line of the same attempt: no identity ties the two without state.
  [/^pam_unix\(sshd:auth\): authentication failure;/, 'pam_unix authentication failure: counted by its "Failed password" line'],
  [/^pam_unix\(sshd:auth\): check pass;/, 'pam_unix check: counted by its "Failed password" line'],
  [/^Disconnecting: [Tt]oo many authentication failures/, 'too many authentication failures: each attempt was counted by its own line'],
  [/^(?:Connection (?:closed|reset) by|Disconnected from|Received disconnect from|error: Received disconnect from)/, 'connection ended'],
];

function readRepeat(message: string): Reading | undefined {
  const pam = PAM_FAILURE.exec(message);
  if (pam !== null) return userFrom(pam[2] as string, 'error: PAM: Authentication failure for', pam[1] !== undefined);
  const root = ROOT_REFUSED.exec(message);
  if (root !== null) {
    if (!isIpAddress(root[1] as string)) return { refused: 'FROM: not an IP address' };
    return { action: 'login', outcome: 'failure', reason: 'root login refused', user: 'root', address: root[1] as string, attempt: 'second' };
  }
  const tooMany = TOO_MANY.exec(message);
  if (tooMany !== null) {
    const rest = (tooMany[2] as string).replace(/ ssh2$/, '');
    return userFrom(rest.replace(/ port \d{1,5}$/, ''), 'maximum authentication attempts exceeded for', tooMany[1] !== undefined);
  }
  const gaveUp = CLIENT_AUTH_FAIL.exec(message);
  if (gaveUp !== null) {
    if (!isIpAddress(gaveUp[1] as string)) return { refused: 'Received disconnect from: not an IP address' };
    return { action: 'login', outcome: 'failure', reason: 'client reported authentication failure', address: gaveUp[1] as string, attempt: 'connection' };
  }
  const end = PREAUTH_END.exec(message);
  if (end !== null) {
    // The client left while authenticating: a failed attempt, the last of its connection.
    if (!isIpAddress(end[3] as string)) return { refused: 'user … <address> port: not an IP address' };
    if (end[1] === 'invalid') return unknownUser(end[2] as string, end[3] as string);
    return { action: 'login', outcome: 'failure', reason: 'disconnected while authenticating', user: end[2] as string, address: end[3] as string, attempt: 'second' };
  }
  return undefined;
}

function readMessage(message: string): Reading {
  const attempt = ATTEMPT.exec(message);
  if (attempt !== null) return readAttempt(attempt[1] as string, attempt[2] as string, attempt[3] as string);

  const invalid = INVALID_USER.exec(message);
  if (invalid !== null) {
    // One line per connection, when the name turns out unknown: the connection's failed login.
    const split = splitAtAddress(invalid[1] as string);
    if (split === undefined) return { refused: 'from: missing (expected "Invalid user <user> from <address>")' };
    if ('refused' in split) return split;
    return unknownUser(split.user, split.address);
  }

  const notAllowed = NOT_ALLOWED.exec(message);
  if (notAllowed !== null) {
    // AllowUsers/DenyUsers/AllowGroups/DenyGroups: logged instead of "Invalid user", once per connection.
    const address = notAllowed[2] as string;
    const reading: Reading = { action: 'login', outcome: 'failure', reason: clip(`user not allowed: ${notAllowed[3] as string}`, 512), user: notAllowed[1] as string };
    return isIpAddress(address) ? { ...reading, address, attempt: 'connection' } : reading;
  }

  const scan = NO_IDENTIFICATION.exec(message);
  if (scan !== null) {
    if (!isIpAddress(scan[1] as string)) return { refused: 'from: not an IP address' };
    return { action: 'request', outcome: 'failure', reason: 'no ssh identification string', address: scan[1] as string };
  }
  const banner = BANNER_EXCHANGE.exec(message);
  if (banner !== null) {
    if (!isIpAddress(banner[1] as string)) return { refused: 'Connection from: not an IP address' };
    return { action: 'request', outcome: 'failure', reason: clip(`ssh banner exchange failed: ${banner[2] as string}`, 512), address: banner[1] as string };
  }
  const wrapped = WRAP_REFUSED.exec(message);
  if (wrapped !== null) {
    if (!isIpAddress(wrapped[1] as string)) return { refused: 'refused connect from: not an IP address in parentheses' };
    return { action: 'request', outcome: 'failure', reason: 'refused by tcp wrappers', address: wrapped[1] as string };
  }
  const repeat = readRepeat(message);
  if (repeat !== undefined) return repeat;
  for (const [pattern, what] of REPEATS) if (pattern.test(message)) return { ignored: what };
  return { ignored: 'sshd message without a login outcome' };
}

/**
 * The identity of the attempt a line reports, shared by every line of that attempt so it counts
 * once (detectors count event ids; the collector numbers only byte-identical lines): one sshd
 * process serves one connection, so the syslog host and pid name the connection, and within it
 * - `connection`: an unknown or refused name — `Invalid user X`, `User X … not allowed`, the
 *   `Failed <method> for invalid user X` lines, PAM's `… for illegal user X`, and the connection
 *   ending for `invalid user X` — is the connection's one attempt for that name (a client's own
 *   `Received disconnect … Auth fail` names none: one per connection), within the
 *   2-minute span (LoginGraceTime) the line falls in: a pid is reused later, and two lines of one
 *   connection on either side of a span boundary count twice (a known, bounded over-count);
 * - `second`: a known user's attempt is the second it ended in — `error: PAM: Authentication
 *   failure`, `ROOT LOGIN REFUSED` and `maximum authentication attempts exceeded` are logged in
 *   the second of the `Failed` line they go with (PAM's failure delay comes before all of them), and
 *   a client leaving while authenticating does so right after its last failure or on its own.
 * Without a pid or an address the line is its own occurrence (the id of the line).
 */
/** OpenSSH's default LoginGraceTime: how long a connection may stay unauthenticated. */
const LOGIN_GRACE_MS = 120_000;

function attemptKey(reading: Extract<Reading, { action: AuthAction }>, host: string | undefined, pid: string | undefined, iso: string): string | undefined {
  if (reading.attempt === undefined || pid === undefined || reading.address === undefined) return undefined;
  // A pid names a connection only while it lives: an unauthenticated one is cut after
  // LoginGraceTime (120 s by default), so the connection's lines fall in one 2-minute span.
  const within = reading.attempt === 'connection' ? `unknown ${reading.user ?? ''} ${Math.floor(Date.parse(iso) / LOGIN_GRACE_MS)}` : `${reading.user ?? ''} ${iso.slice(0, 19)}`;
  return recordId('sshd', `attempt\n${host ?? ''}\n${pid}\n${reading.address}\n${within}`);
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
 * - **Scan**: `Did not receive identification string from IP` → a failed `request` (no SSH spoken);
 *   `banner exchange: Connection from IP port N: invalid format` → a failed `request` (the client
 *   spoke something else: a scanner, TLS, HTTP); libwrap's `refused connect from H (IP)` → a failed
 *   `request` (refused by `hosts.deny`).
 * - **Ignored**, with the line that already counts them: `pam_unix(sshd:auth): authentication failure`
 *   and `error: PAM: Authentication failure for X from H` (each precedes the `Failed` line of the same
 *   attempt), `maximum authentication attempts exceeded` / `Disconnecting: Too many authentication
 *   failures` (after the attempts), `ROOT LOGIN REFUSED`; also `Failed none` (a method probe),
 *   `Failed publickey` for a known user (clients offer each key they hold before the right one; with
 *   the default log level sshd logs them only after several), connection closes, resets and
 *   disconnects (`[preauth]` or not), and every other message.
 * - **With the stream's memory** (`context.stream`), a line is also read with the earlier lines of
 *   its connection (see `readInConnection`): `Disconnecting: Too many authentication failures`
 *   after declined keys, a locked account or an unknown name logged without the address become the
 *   connection's failed attempt, and a connection's summaries and end add nothing once one of its
 *   failures counted. Without it, those stay ignored: a client that only offers wrong keys is then
 *   not counted.
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
  let reading = readMessage(message);
  const time = isoFromHeader(header, options, context);
  const memory = context?.stream;
  if (memory !== undefined && header.pid !== undefined && 'iso' in time) {
    reading = readInConnection(reading, message, memory, `sshd\n${header.host ?? ''}\n${header.pid}`, Date.parse(time.iso));
  }
  if ('ignored' in reading) return ignoredRecord(reading.ignored);
  if ('refused' in reading) return refusedRecord(reading.refused);
  if ('problem' in time) return refusedRecord(time.problem);

  const principal: PrincipalDto = reading.user !== undefined && reading.user !== '' ? { type: 'user', id: clip(reading.user, 512) } : { type: 'anonymous' };
  const event: AuthEventInput = {
    id: attemptKey(reading, header.host, header.pid, time.iso) ?? recordId('sshd', record),
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

/**
 * What the stream has seen of one connection (syslog host and pid), kept in its `StreamMemory`.
 * Immutable: a line that changes it stores a new one. It outlives the request its lines came in,
 * so it holds only short copies of their text (`owned`): a user name cut from a line would
 * otherwise keep the whole line, and the body it came in, alive. The copies are made once, when a
 * text first comes in: `with` keeps the ones it does not change, and a line that changes nothing
 * keeps the connection as it is, since most lines of a connection only confirm what it holds.
 */
class SshdConnection {
  private constructor(
    /** Time of its latest line (epoch ms): a pid silent for longer than LoginGraceTime is another connection. */
    readonly seenAt: number,
    /** The client, from `Connection from`, a declined key or a counted line. */
    readonly address: string | undefined,
    /** The user its lines named, for a summary line that names none. */
    readonly user: string | undefined,
    /** A failure of this connection was yielded: summaries and ends of it add none. */
    readonly counted: boolean,
    /** A failure logged without the address (a refused account, an unknown name, too many failures), yielded when a later line gives it. */
    readonly pending: Pending | undefined,
  ) {}

  /** A connection first seen at `at`, from `address` when its line names it. */
  static opened(at: number, address?: string): SshdConnection {
    return new SshdConnection(at, owned(address, 64), undefined, false, undefined);
  }

  /** This connection with `change`; itself when `change` changes nothing. Only a text it does not hold yet is copied. */
  with(change: Partial<Omit<SshdConnection, 'with'>>): SshdConnection {
    const seenAt = change.seenAt ?? this.seenAt;
    const address = 'address' in change && change.address !== this.address ? owned(change.address, 64) : this.address;
    const user = 'user' in change && change.user !== this.user ? owned(change.user, USER_NAME_LIMIT) : this.user;
    const counted = change.counted ?? this.counted;
    const pending = 'pending' in change && change.pending !== this.pending ? ownedPending(change.pending) : this.pending;
    if (seenAt === this.seenAt && address === this.address && user === this.user && counted === this.counted && pending === this.pending) return this;
    return new SshdConnection(seenAt, address, user, counted, pending);
  }
}

function ownedPending(pending: Pending | undefined): Pending | undefined {
  return pending === undefined ? undefined : { user: owned(pending.user, USER_NAME_LIMIT), reason: owned(pending.reason, 160) };
}

/** `text` clipped to `max` (sshd itself logs at most 100 characters of a user name) and copied out of the line it was cut from. */
function owned(text: string, max: number): string;
function owned(text: string | undefined, max: number): string | undefined;
function owned(text: string | undefined, max: number): string | undefined {
  return text === undefined ? undefined : detached(clip(text, max));
}

interface Pending {
  user: string;
  reason: string;
}

/** `Connection from <address> port <n>[ on <address> port <n>][ rdomain "<name>"]` (sshd -d or LogLevel VERBOSE): a new connection. */
const CONNECTION_FROM = /^Connection from (\S+) port \d{1,5}(?: on \S+ port \d{1,5})?(?: rdomain "[^"]*")?$/;
/** `User <user> not allowed because <why>` without an address (a locked account, a missing shell): refused before any credential. */
const ACCOUNT_REFUSED = /^User (\S+) not allowed because (.+)$/;
/** Before OpenSSH 7.5, the privilege-separated child's note of an unknown name: `input_userauth_request: invalid user <user> [preauth]`. */
const USERAUTH_INVALID = /^input_userauth_request: invalid user (.*?)(?: \[preauth\])?$/;
/** `Disconnecting: Too many authentication failures[ for [invalid user ]<user>][ [preauth]]`: MaxAuthTries reached, no address on the line. */
const TOO_MANY_FAILURES = /^Disconnecting: [Tt]oo many authentication failures(?: for (?:invalid user )?(.+?))?(?: \[preauth\])?$/;
/** The last line sshd writes for a connection: `Connection closed|reset by <address>[ port <n>]`, `Disconnected from <address> port <n>`. */
const CONNECTION_CLOSED = /^(?:Connection (?:closed|reset) by|Disconnected from) (?:(?:invalid|authenticating) user .* )?(\S+?)(?: port \d{1,5})?(?: \[preauth\])?$/;
/** `[error: ]Received disconnect from <address>[ port <n>]:[ ]<code>: …`: the client leaving (sshd may still log `Disconnected from` after it). */
const RECEIVED_DISCONNECT = /^(?:error: )?Received disconnect from (\S+?)(?: port \d{1,5})?: ?\d+:/;

/**
 * Reads a line with what its connection logged before, when the caller keeps the stream's memory.
 * One sshd process serves one connection, so host and pid name it (within LoginGraceTime); what
 * this adds to a line read on its own:
 * - a failure logged without the address — `Disconnecting: Too many authentication failures for X`
 *   after declined keys, `User X not allowed because account is locked`, `input_userauth_request:
 *   invalid user X` — is the connection's failed attempt, with the address of its
 *   `Connection from` line or declined keys, or else of the line that ends the connection;
 * - once a failure of the connection was yielded, its summaries (`Too many authentication
 *   failures`, `maximum authentication attempts exceeded`) and the lines ending it (`Disconnected
 *   from authenticating user X`, `Connection closed by`) add none: the attempt counts once;
 * - a connection that ends without any failure stays `connection ended` (a probe, `ssh.probing`'s),
 *   and `Accepted` stays a success, forgetting the connection.
 * The memory drops a connection at its last line (`Connection closed|reset by`, `Disconnected
 * from`) or its success; `Received disconnect` and `Disconnecting …` keep it, since sshd may log
 * `Disconnected from` after them.
 */
function readInConnection(reading: Reading, message: string, memory: StreamMemory, key: string, at: number): Reading {
  const kept = memory.get(key);
  const fresh = kept instanceof SshdConnection && at - kept.seenAt <= LOGIN_GRACE_MS && at >= kept.seenAt - LOGIN_GRACE_MS ? kept : undefined;
  const connection = fresh ?? SshdConnection.opened(at);
  const keep = (next: SshdConnection): void => memory.set(key, next.with({ seenAt: Math.max(at, next.seenAt) }));

  const opened = CONNECTION_FROM.exec(message);
  if (opened !== null) {
    memory.set(key, SshdConnection.opened(at, isIpAddress(opened[1] as string) ? opened[1] : undefined));
    return reading;
  }
  if ('refused' in reading) return reading;
  if ('action' in reading) {
    if (reading.outcome === 'success') {
      memory.delete(key);
      return reading;
    }
    const closes = CONNECTION_CLOSED.test(message);
    if (connection.counted && (closes || RECEIVED_DISCONNECT.test(message) || PREAUTH_END.test(message) || TOO_MANY.test(message))) {
      if (closes) memory.delete(key);
      else keep(connection);
      return { ignored: 'connection ended or summarised: its failed attempt was counted by an earlier line' };
    }
    if (closes) memory.delete(key);
    else keep(connection.with({ counted: true, address: reading.address ?? connection.address, user: reading.user ?? connection.user }));
    return reading;
  }

  // An ignored line: perhaps one that only its connection's other lines give a meaning.
  if (reading.offered !== undefined) {
    keep(connection.with({ address: reading.offered.address, user: reading.offered.user }));
    return reading;
  }
  const refusedAccount = ACCOUNT_REFUSED.exec(message);
  const invalid = USERAUTH_INVALID.exec(message);
  const tooMany = TOO_MANY_FAILURES.exec(message);
  if (refusedAccount !== null || invalid !== null || tooMany !== null) {
    if (connection.counted) {
      keep(connection);
      return reading;
    }
    const pending: Pending =
      refusedAccount !== null
        ? { user: refusedAccount[1] as string, reason: clip(`user not allowed: ${refusedAccount[2] as string}`, 512) }
        : invalid !== null
          ? { user: invalid[1] as string, reason: 'unknown user' }
          : { user: tooMany?.[1] ?? connection.user ?? '', reason: 'too many authentication failures' };
    // A refused account or unknown name is the attempt; a later summary of it does not replace it.
    const attempt = connection.pending ?? pending;
    if (tooMany !== null && connection.address !== undefined) {
      keep(connection.with({ counted: true, pending: undefined }));
      return failureOf(attempt, connection.address);
    }
    keep(connection.with({ pending: attempt }));
    return { ignored: `${attempt.reason}: the line names no address; counted when its connection's address is logged` };
  }
  const ended = CONNECTION_CLOSED.exec(message);
  const closed = ended ?? RECEIVED_DISCONNECT.exec(message);
  if (closed !== null) {
    const address = closed[1] as string;
    const attempt = !connection.counted && isIpAddress(address) ? connection.pending : undefined;
    if (ended !== null) memory.delete(key);
    else if (attempt !== undefined) keep(connection.with({ counted: true, pending: undefined }));
    else keep(connection);
    return attempt === undefined ? reading : failureOf(attempt, address);
  }
  if (fresh !== undefined) keep(fresh);
  return reading;
}

/** The failed attempt a connection logged without its address, read with the address another of its lines gives. */
function failureOf(pending: Pending, address: string): Reading {
  const reading: Reading = { action: 'login', outcome: 'failure', reason: pending.reason, address, attempt: 'connection' };
  return pending.user === '' ? reading : { ...reading, user: pending.user };
}
