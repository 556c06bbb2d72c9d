import type { AuthAction, AuthEventInput, Outcome, TargetDto } from '@ratchet/contracts';
import { ignoredRecord, refusedRecord, type SourceParser, type SourceResult } from '../source-parser';
import { clip, isHttpMethod, isIpAddress, recordId, splitTarget } from '../http/http-access';
import { isoTime, parseJsonObjectLine } from '../json/json-record';

/** `key=value` or `key="value with \" escapes"`, separated by spaces (logrus' text formatter). */
const PAIR = /\s*([A-Za-z_][\w.-]*)=("(?:[^"\\]|\\.)*"|[^\s"]\S*|)(?=\s|$)/y;

/** A logfmt line as its fields; undefined when it is not one. */
function readLogfmt(line: string): Record<string, string> | undefined {
  const fields: Record<string, string> = {};
  PAIR.lastIndex = 0;
  while (PAIR.lastIndex < line.length) {
    if (line.slice(PAIR.lastIndex).trim() === '') break;
    const m = PAIR.exec(line);
    if (m === null) return undefined;
    const raw = m[2] as string;
    fields[m[1] as string] = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c)) : raw;
  }
  return fields;
}

function readJson(line: string): Record<string, string> | string {
  const parsed = parseJsonObjectLine(line);
  if (typeof parsed === 'string') return parsed;
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) if (typeof value === 'string') fields[key] = value;
  return fields;
}

/** `Unsuccessful 1FA authentication attempt by user 'john': user not found`, `Successful TOTP authentication attempt made by user 'john'`. */
const ATTEMPT = /^(Unsuccessful|Successful) (\S+(?: \S+)?) authentication attempt (?:made )?by user '(.*)'(?:: (.*))?$/;

/**
 * Authelia 4.38+ logs an unknown name on the first factor only as `Error occurred getting details
 * for user with username input '<u>' which usually indicates they do not exist` (no `Unsuccessful
 * 1FA` line follows): that line is the failed login.
 */
const UNKNOWN_USER = /^Error occurred getting details for user with username input '(.*)' which usually indicates they do not exist$/;

/** The second factors Authelia names, as `auth.method`. */
const SECOND_FACTORS: Readonly<Record<string, string>> = {
  '2FA': 'mfa',
  TOTP: 'totp',
  WebAuthn: 'webauthn',
  U2F: 'u2f',
  Duo: 'duo',
  'Mobile Push': 'duo',
};

/** Authelia's errors in the words every Ratchet source uses; others pass through. */
const ERRORS: Readonly<Record<string, string>> = {
  'user not found': 'unknown user',
  'invalid credentials': 'invalid credentials',
};

interface Attempt {
  action: AuthAction;
  outcome: Outcome;
  user: string;
  method: string;
  reason?: string;
  pushDenied?: boolean;
}

/** Duo's answer when the user pressed Deny on the push (`duo auth result: deny, … message: Login request denied.`). */
const PUSH_DENIED = /result: deny\b.*Login request denied/;

function attemptOf(message: string): Attempt | string {
  const m = ATTEMPT.exec(message);
  if (m === null) {
    const unknown = UNKNOWN_USER.exec(message);
    if (unknown !== null) return { action: 'login', outcome: 'failure', user: unknown[1] as string, method: 'password', reason: 'unknown user' };
    return 'authelia log line without an authentication attempt';
  }
  const [, verdict, factor, user, error] = m as unknown as [string, string, string, string, string?];
  const secondFactor = SECOND_FACTORS[factor];
  if (factor !== '1FA' && secondFactor === undefined) return `authentication attempt with an unknown factor (${clip(factor, 32)})`;
  const attempt: Attempt = {
    action: factor === '1FA' ? 'login' : 'mfa',
    outcome: verdict === 'Successful' ? 'success' : 'failure',
    user,
    method: secondFactor ?? 'password',
  };
  if (attempt.outcome === 'failure') attempt.reason = clip(error === undefined ? 'invalid credentials' : (ERRORS[error] ?? error), 512);
  if (attempt.outcome === 'failure' && attempt.method === 'duo' && error !== undefined && PUSH_DENIED.test(error)) {
    attempt.reason = 'push denied';
    attempt.pushDenied = true;
  }
  return attempt;
}

/**
 * Authelia's log (logrus text `time=… level=… msg=…` or `log.format: json`), one line per record:
 * `Unsuccessful|Successful 1FA authentication attempt (made) by user '<u>'` is a `login` (method
 * `password`); TOTP, WebAuthn, U2F, Duo (`Mobile Push`) and `2FA` attempts are `mfa`. A failure's
 * reason is the error after the quote (`user not found` → `unknown user`), else `invalid credentials`;
 * a Duo push the user denied is `push denied` with the fact `mfa-push-denied`.
 * `client.ip` is `remote_ip` (Authelia's view of the client, after its trusted proxies),
 * `target.path`/`method` the API call. Authelia 4.38+'s `Error occurred getting details for user
 * with username input '<u>'` is a failed login (`unknown user`). Other lines are ignored. Id: sha1 of the line.
 */
export const autheliaParser: SourceParser = {
  id: 'authelia',
  summary:
    "Authelia log (logfmt text or JSON): 1FA attempts (login) and TOTP/WebAuthn/Duo attempts (mfa), success and failure, with remote_ip and user; other lines ignored",
  framing: 'line',
  parse(record): SourceResult {
    if (typeof record !== 'string') return refusedRecord('(line): must be a text line');
    const fields = record.startsWith('{') ? readJson(record) : readLogfmt(record);
    if (fields === undefined) return refusedRecord('(line): not logfmt (key=value …) nor JSON');
    if (typeof fields === 'string') return refusedRecord(fields);
    const message = fields['msg'];
    if (message === undefined) return refusedRecord('msg: is required');
    const attempt = attemptOf(message);
    if (typeof attempt === 'string') return ignoredRecord(attempt);
    const rawTime = fields['time'];
    if (rawTime === undefined) return refusedRecord('time: is required');
    const time = isoTime(rawTime);
    if (time === undefined) return refusedRecord('time: not an RFC 3339 date-time');
    const address = fields['remote_ip'];
    if (address !== undefined && address !== '' && !isIpAddress(address)) return refusedRecord('remote_ip: not an IP address');

    const event: AuthEventInput = {
      id: recordId('authelia', record),
      time,
      source: { kind: 'authelia' },
      plane: 'north-south',
      action: attempt.action,
      outcome: attempt.outcome,
      principal: attempt.user === '' ? { type: 'anonymous' } : { type: 'user', id: clip(attempt.user, 512) },
    };
    if (attempt.reason !== undefined) event.reason = attempt.reason;
    if (address !== undefined && address !== '') event.client = { ip: address };
    const target: TargetDto = {};
    const method = fields['method'];
    if (method !== undefined && isHttpMethod(method)) target.method = method;
    const path = fields['path'];
    if (path !== undefined && path !== '') target.path = splitTarget(path).path;
    if (Object.keys(target).length > 0) event.target = target;
    event.auth = attempt.action === 'mfa' ? { method: attempt.method, mfa: true } : { method: attempt.method };
    if (attempt.pushDenied === true) event.facts = ['mfa-push-denied'];
    return { ok: true, events: [event] };
  },
};
