import { hash } from 'node:crypto';
import { isIP } from 'node:net';
import type { AuthAction, AuthEventInput, ClientDto, Outcome, TargetDto } from '@ratchet/contracts';
import { escapeRegExp } from '@ratchet/kernel';
import { clip } from '../json/json-record';

/**
 * What every HTTP access-log source (NGINX, Envoy, Apache, Traefik, HAProxy) decides the same way: which requests are
 * logins, what an HTTP status means for access, and how a record gets a stable id.
 * Shared by `nginx/` and `envoy/`; it belongs in a neutral place (`libs/sources/src/http/`)
 * once the catalogue owner moves it.
 */

/**
 * Paths that take credentials. A path matches when it *ends* with an entry at a segment boundary,
 * case-insensitive, a trailing slash ignored: `/api/login`, `/Shop/Login/` and `/api/v1/auth`
 * match `/login` and `/auth`; `/blogin`, `/oauth` and `/login/help` do not.
 */
export const LOGIN_PATHS: readonly string[] = [
  '/login',
  '/login.php',
  '/logon',
  '/signin',
  '/sign-in',
  '/sign_in', // Devise: /users/sign_in
  '/session', // Rails, GitHub-style: POST /session
  '/sessions',
  '/auth',
  '/authenticate',
  '/wp-login.php',
  '/j_security_check', // Java servlet form login
  '/oauth/token',
  '/oauth2/token',
  '/connect/token', // Duende IdentityServer, OpenIddict
  '/openid-connect/token', // Keycloak: /realms/{realm}/protocol/openid-connect/token
  '/login-actions/authenticate', // Keycloak's login form post
];

/**
 * Form logins known to answer a *failed* attempt with `200` (the form again) and a success with a
 * redirect: for these, a `200` is a failure. CrowdSec's WordPress brute-force scenario counts the same.
 */
export const FORM_LOGIN_PATHS_FAILING_WITH_200: readonly string[] = ['/wp-login.php'];

const pathEndingIn = (paths: readonly string[]): RegExp => new RegExp(`(?:${paths.map(escapeRegExp).join('|')})/?$`, 'i');
const LOGIN_PATH = pathEndingIn(LOGIN_PATHS);
const FAILING_WITH_200 = pathEndingIn(FORM_LOGIN_PATHS_FAILING_WITH_200);

/**
 * Methods that only read: a `GET /login` fetches the sign-in form, it submits no credential.
 * A login is a request to a login path with any other method (POST, PUT, PATCH …).
 */
const READ_ONLY_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function isLoginPath(path: string): boolean {
  return LOGIN_PATH.test(path);
}

/** `401` challenge, `403` refusal, `407` proxy challenge: the access decision itself said no. */
export const ACCESS_DENIED_STATUSES: ReadonlySet<number> = new Set([401, 403, 407]);
/** Refused by rate limiting (NGINX `limit_req_status 429;`, Envoy local/global rate limit). */
export const RATE_LIMITED_STATUS = 429;

export interface HttpAccess {
  action: AuthAction;
  outcome: Outcome;
  /** Always `http <status>`: detectors that read reasons keep working; parsers also set `target.status`. */
  reason: string;
}

/**
 * The access meaning of one HTTP request and its status:
 * - `action` is `login` for a credential-submitting method on a login path (see `LOGIN_PATHS`),
 *   or when a basic-auth user was named and refused (`401` with a remote user); else `request`.
 * - `outcome` is `failure` when access was refused (401, 403, 407, 429); for a login also when
 *   the status is not 2xx/3xx (or is 200 where `FORM_LOGIN_PATHS_FAILING_WITH_200` says so);
 *   everything else is `success`. A `404` or `502` on a request is the
 *   application's answer to a request access control let through: `success`, with `reason: http 404`
 *   telling detectors of probing what happened.
 * Known limit: an application that answers a failed form login with `200` or a redirect shows up as
 * a successful login; its IdP's or application's own logs say more.
 */
export function decideHttpAccess(status: number, method: string | undefined, path: string | undefined, withUser: boolean): HttpAccess {
  const refused = ACCESS_DENIED_STATUSES.has(status) || status === RATE_LIMITED_STATUS;
  const login =
    (path !== undefined && method !== undefined && !READ_ONLY_METHODS.has(method) && isLoginPath(path)) || (withUser && status === 401);
  const passed = status < 400 && !(login && status === 200 && path !== undefined && FAILING_WITH_200.test(path));
  const outcome: Outcome = refused || (login && !passed) ? 'failure' : 'success';
  return { action: login ? 'login' : 'request', outcome, reason: `http ${status}` };
}

/** A status AuthEvent's `target.status` admits (100–599); `000` and the like are left out, not refused. */
export function isHttpStatus(status: number): boolean {
  return Number.isInteger(status) && status >= 100 && status <= 599;
}

/** What an HTTP access source read from one request, for `httpAccessEvent`. */
export interface HttpRequestRead {
  id: string;
  time: string;
  /** `source.kind`: the product (`nginx`, `apache`, `traefik`, `haproxy`). */
  kind: string;
  access: HttpAccess;
  /** The authenticated (or refused) user the access log names; absent: anonymous. */
  user?: string;
  client: ClientDto;
  target: TargetDto;
}

/**
 * The event of one request through an HTTP proxy or server (north-south): the user, when the log
 * names one, signed in with basic authentication (access logs name no other kind of user).
 */
export function httpAccessEvent(read: HttpRequestRead): AuthEventInput {
  const event: AuthEventInput = {
    id: read.id,
    time: read.time,
    source: { kind: read.kind },
    plane: 'north-south',
    action: read.access.action,
    outcome: read.access.outcome,
    reason: read.access.reason,
    principal: read.user !== undefined ? { type: 'user', id: clip(read.user, 512) } : { type: 'anonymous' },
  };
  if (Object.keys(read.client).length > 0) event.client = read.client;
  if (Object.keys(read.target).length > 0) event.target = read.target;
  if (read.user !== undefined) event.auth = { method: 'basic' };
  return event;
}

/** A request line's parts; absent when the line is not `METHOD TARGET [PROTOCOL]` (junk, TLS bytes on a plain port). */
export interface RequestTarget {
  method?: string;
  path?: string;
  /** From an absolute-form target (`GET http://example.com/x HTTP/1.1`, proxy probes). */
  host?: string;
}

/** An HTTP method as a token of capitals, within AuthEvent's 16 characters. */
const METHOD = /^[A-Z][A-Z_-]{0,15}$/;

export function isHttpMethod(method: string): boolean {
  return METHOD.test(method);
}

/** Splits an NGINX `$request` (`GET /a?b HTTP/1.1`). Anything that is not a method and a target yields `{}`. */
export function splitRequestLine(request: string): RequestTarget {
  const first = request.indexOf(' ');
  if (first <= 0) return {};
  const method = request.slice(0, first);
  if (!isHttpMethod(method)) return {};
  const last = request.lastIndexOf(' ');
  const target = last > first && request.startsWith('HTTP/', last + 1) ? request.slice(first + 1, last) : request.slice(first + 1);
  if (target === '') return { method };
  return { method, ...splitTarget(target) };
}

/** A request target to a path without query or fragment; an absolute-form target also gives its host. */
export function splitTarget(target: string): { path: string; host?: string } {
  let path = target;
  let host: string | undefined;
  if (target.startsWith('http://') || target.startsWith('https://')) {
    const authorityStart = target.indexOf('//') + 2;
    const slash = target.indexOf('/', authorityStart);
    host = hostWithoutPort(target.slice(authorityStart, slash < 0 ? target.length : slash));
    path = slash < 0 ? '/' : target.slice(slash);
  }
  const cut = firstIndexOf(path, '?', '#');
  if (cut >= 0) path = path.slice(0, cut);
  return host ? { path: clip(path, 4096), host } : { path: clip(path, 4096) };
}

function firstIndexOf(s: string, a: string, b: string): number {
  const i = s.indexOf(a);
  const j = s.indexOf(b);
  if (i < 0) return j;
  if (j < 0) return i;
  return Math.min(i, j);
}

/**
 * A Host header or `:authority` as a host name: port dropped, lower case. `[2001:db8::1]:8443` →
 * `[2001:db8::1]`. Empty, `-` and `_` (NGINX's catch-all server name) give undefined.
 */
export function hostWithoutPort(raw: string): string | undefined {
  if (raw === '' || raw === '-' || raw === '_') return undefined;
  let host = raw;
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    if (close > 0) host = host.slice(0, close + 1);
  } else {
    const colon = host.lastIndexOf(':');
    if (colon > 0 && host.indexOf(':') === colon) host = host.slice(0, colon);
  }
  return host === '' ? undefined : clip(host.toLowerCase(), 512);
}

/** An IPv4 or IPv6 address, as AuthEvent's `client.ip` admits it: no IPv6 zone (`fe80::1%eth0`). */
export function isIpAddress(value: string): boolean {
  return isIP(value) !== 0 && !value.includes('%');
}

/** Fields are cut to the length AuthEvent admits (json-record's `clip`), so a long header sent on purpose cannot push an attacker's request into the dead-letter topic. */
export { clip };

/**
 * A stable id for one record: `<parser id>:<sha1 of the record>`. Re-ingesting the same file gives
 * the same ids, so the collector's idempotence drops the repeats. Trade-off: two byte-identical
 * records (same client, same second, same request and user agent) become one event; a pure,
 * stateless parser cannot tell them apart — the collector may add the record's position later.
 * Client-supplied request ids are never used alone: a client that repeats an `X-Request-ID`
 * would otherwise fold all its requests into one event and hide from every counting detector.
 */
export function recordId(parserId: string, record: string): string {
  return `${parserId}:${hash('sha1', record, 'hex')}`;
}

const ESCAPED_BYTES = /(?:\\x[0-9A-Fa-f]{2})+/g;
const UTF8 = new TextDecoder();

/**
 * A value as the client sent it: NGINX writes `"`, `\` and bytes outside printable ASCII as `\xHH`
 * in its access log (`escape=default`); runs of them are decoded as UTF-8 (invalid bytes become
 * U+FFFD). The same user then has one spelling whichever source names them.
 */
export function unescapeNginx(value: string): string {
  if (!value.includes('\\x')) return value;
  return value.replace(ESCAPED_BYTES, (run) => {
    const bytes = new Uint8Array(run.length / 4);
    for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(run.slice(i * 4 + 2, i * 4 + 4), 16);
    return UTF8.decode(bytes);
  });
}

/** `-` or an empty string: the variable had no value. */
export function present(value: string | undefined): value is string {
  return value !== undefined && value !== '' && value !== '-';
}
