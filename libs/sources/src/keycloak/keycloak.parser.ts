import type { AuthAction, AuthEventInput, Outcome, PrincipalDto } from '@ratchet/contracts';
import { ignoredRecord, refusedRecord, type SourceParser, type SourceResult } from '../source-parser';
import { address, asObject, clip, defined, isObject, isoTime, text } from '../json/json-record';

/**
 * Keycloak user and admin events, one per record, in the JSON shapes Keycloak produces:
 * - an event as the Admin REST API (`/admin/realms/{realm}/events`) and event-listener SPIs
 *   (HTTP, Kafka …) serialise it: `time` (epoch ms), `type`, `realmId`, `clientId`, `userId`,
 *   `sessionId`, `ipAddress`, `error`, `details`;
 * - an admin event (`/admin-events`): `operationType`, `resourceType`, `resourcePath`, `authDetails`;
 * - a line of Keycloak's JSON console log (`--log-console-output=json`, default or ECS format)
 *   from the `jboss-logging` event listener: logger `org.keycloak.events`, a timestamp, and the
 *   event as the `key="value", …` list in `message`. Other log lines are ignored.
 *
 * - User events are on the `north-south` plane: LOGIN / IDENTITY_PROVIDER_LOGIN are `login`;
 *   CODE_TO_TOKEN, REFRESH_TOKEN, TOKEN_EXCHANGE, CLIENT_LOGIN (a client's own credentials, its
 *   principal a service) and the device / CIBA grants are `token`; `*_ERROR` is a failure.
 *   Logout, registration, account management and the like are ignored.
 * - Admin events change the IdP itself: `api` on the `control` plane, like Kubernetes API calls
 *   — the plane of whoever changes access policy. `method` is the operation, `service` the
 *   resource type, `path` the resource path.
 * - The user principal is the username typed (`details.username`, lower-cased: Keycloak stores
 *   usernames in lower case), else `userId`.
 * - The id is the event's own `id` (Keycloak 22+), else time + type + session (or auth session,
 *   user) + address. `source.name` is the realm.
 * - Error codes in Ratchet's words: `invalid_user_credentials` → `invalid credentials`,
 *   `user_not_found` → `unknown user`, `user_temporarily_disabled` (brute-force lockout) →
 *   `account locked`, `user_disabled`, `invalid_client_credentials`, code and token errors; other
 *   codes pass through as Keycloak wrote them.
 * - Fact `token-reuse`: a REFRESH_TOKEN_ERROR whose `details.reason` says the refresh token was
 *   reused past the realm's "revoke refresh token" limit (`Maximum allowed refresh token reuse exceeded`).
 *
 * Required: `time` (or the log line's timestamp) and `type` / `operationType`.
 */
export const keycloakParser: SourceParser = {
  id: 'keycloak',
  summary: 'Keycloak login and admin events (JSON: REST API / event listener objects, JSON console log lines)',
  framing: 'json',
  parse: parseKeycloakEvent,
};

const EVENT_TYPES: Readonly<Record<string, AuthAction>> = {
  LOGIN: 'login',
  IDENTITY_PROVIDER_LOGIN: 'login',
  IDENTITY_PROVIDER_FIRST_LOGIN: 'login',
  CODE_TO_TOKEN: 'token',
  REFRESH_TOKEN: 'token',
  TOKEN_EXCHANGE: 'token',
  CLIENT_LOGIN: 'token',
  OAUTH2_DEVICE_CODE_TO_TOKEN: 'token',
  AUTHREQID_TO_TOKEN: 'token',
  PERMISSION_TOKEN: 'token',
};

/** Keycloak's error codes in the words every Ratchet source uses; others pass through. */
const ERRORS: Readonly<Record<string, string>> = {
  invalid_user_credentials: 'invalid credentials',
  user_not_found: 'unknown user',
  user_temporarily_disabled: 'account locked',
  user_disabled: 'account disabled',
  invalid_client_credentials: 'invalid client credentials',
  invalid_client: 'unknown client',
  invalid_code: 'invalid authorization code',
  expired_code: 'authorization code expired',
  invalid_token: 'invalid token',
  invalid_user: 'unknown user',
  user_session_not_found: 'session invalidated',
};

const KEYCLOAK_EVENTS_LOGGER = 'org.keycloak.events';

function parseKeycloakEvent(record: unknown): SourceResult {
  if (!isObject(record)) return refusedRecord('(record): must be a JSON object');
  const message = record['message'];
  if (typeof message === 'string' && record['type'] === undefined && record['operationType'] === undefined) return parseLogLine(record, message);
  const rawTime = record['time'];
  if (rawTime === undefined || rawTime === null) return refusedRecord('time: is required');
  const time = epochOrIsoTime(rawTime);
  if (!time) return refusedRecord('time: must be epoch milliseconds or an ISO-8601 date-time');
  if (record['operationType'] !== undefined) return readAdminEvent(record, time, (path) => path);
  return readUserEvent(record, time, (path) => path);
}

/**
 * A JSON console log line — Quarkus' default JSON (`loggerName`, `timestamp`) or ECS
 * (`log.logger`, `@timestamp`): the event is the `key="value"` list in `message`. A line from
 * another logger is ignored; one without a logger name counts when its message is an event.
 */
function parseLogLine(line: Record<string, unknown>, message: string): SourceResult {
  const logger = text(line['loggerName']) ?? text(line['log.logger']);
  if (logger !== undefined && logger !== KEYCLOAK_EVENTS_LOGGER) return ignoredRecord(`log line from ${logger}`);
  const fields = readKeyValues(message);
  if (!fields || (fields['type'] === undefined && fields['operationType'] === undefined)) {
    if (logger === undefined) return ignoredRecord('log line that is not an event');
    return refusedRecord('message: must be a Keycloak event (type=… or operationType=…, comma-separated)');
  }
  const timeField = line['timestamp'] !== undefined ? 'timestamp' : '@timestamp';
  const rawTime = line[timeField];
  if (rawTime === undefined || rawTime === null) return refusedRecord('timestamp: is required');
  const time = epochOrIsoTime(rawTime);
  if (!time) return refusedRecord(`${timeField}: must be an ISO-8601 date-time`);
  // The listener writes the event's own fields first and its details after them.
  const { type, operationType, realmId, realmName, clientId, userId, sessionId, ipAddress, error, resourceType, resourcePath, id, ...details } = fields;
  if (operationType !== undefined) {
    return readAdminEvent(
      { id, realmId, realmName, operationType, resourceType, resourcePath, error, authDetails: { realmId, clientId, userId, ipAddress } },
      time,
      inMessage,
    );
  }
  return readUserEvent({ id, type, realmId, realmName, clientId, userId, sessionId, ipAddress, error, details }, time, inMessage);
}

/** Names a field of the event the way the record spells it: `authDetails.ipAddress`, or `message.ipAddress` in a log line. */
type FieldName = (path: string) => string;

const inMessage: FieldName = (path) => `message.${path.split('.').pop() ?? path}`;

function readUserEvent(event: Record<string, unknown>, time: string, at: FieldName): SourceResult {
  const type = text(event['type']);
  if (!type) return refusedRecord(`${at('type')}: is required`);
  const failed = type.endsWith('_ERROR');
  const base = failed ? type.slice(0, -'_ERROR'.length) : type;
  const action = EVENT_TYPES[base];
  if (!action) return ignoredRecord(`event type ${type}`);

  const details = asObject(event['details']) ?? {};
  const ip = address(event['ipAddress']);
  if (ip === false) return refusedRecord(`${at('ipAddress')}: must be an IPv4 or IPv6 address`);
  const clientId = text(event['clientId']);
  const sessionId = text(event['sessionId']);

  const outcome: Outcome = failed ? 'failure' : 'success';
  const result: AuthEventInput = { time, source: { kind: 'keycloak' }, plane: 'north-south', action, outcome };
  const realm = text(event['realmName']) ?? text(event['realmId']);
  if (realm) result.source.name = clip(realm, 256);
  const id =
    text(event['id']) ??
    [time, type, sessionId ?? text(details['code_id']) ?? text(event['userId']) ?? text(details['username']) ?? '-', ip ?? '-'].join('|');
  result.id = clip(`keycloak:${id}`, 256);
  // A revoked refresh token presented again: Keycloak says so in `details.reason`.
  const reused = failed && /reuse/i.test(text(details['reason']) ?? '');
  if (failed) result.reason = clip(reused ? 'refresh token reuse' : readError(text(event['error'])), 512);
  if (reused) result.facts = ['token-reuse'];
  const principal: PrincipalDto | undefined =
    base === 'CLIENT_LOGIN' ? serviceOf(clientId) : userOf(text(details['username'])?.toLowerCase() ?? text(event['userId']));
  if (principal) result.principal = principal;
  const client = defined({
    ip,
    sessionId: clip(sessionId, 256),
    tokenId: clip(text(details['token_id']) ?? text(details['refresh_token_id']), 256),
  });
  if (client) result.client = client;
  const target = defined({ service: clip(clientId, 512) });
  if (target) result.target = target;
  const auth = defined({ method: clip(text(details['client_auth_method']) ?? text(details['auth_method']), 64) });
  if (auth) result.auth = auth;
  return { ok: true, events: [result] };
}

function readAdminEvent(event: Record<string, unknown>, time: string, at: FieldName): SourceResult {
  const operation = text(event['operationType']);
  if (!operation) return refusedRecord(`${at('operationType')}: is required`);
  const authDetails = asObject(event['authDetails']) ?? {};
  const ip = address(authDetails['ipAddress']);
  if (ip === false) return refusedRecord(`${at('authDetails.ipAddress')}: must be an IPv4 or IPv6 address`);
  const resourceType = text(event['resourceType']);
  const resourcePath = text(event['resourcePath']);
  const error = text(event['error']);
  const userId = text(authDetails['username'])?.toLowerCase() ?? text(authDetails['userId']);

  const result: AuthEventInput = { time, source: { kind: 'keycloak' }, plane: 'control', action: 'api', outcome: error ? 'failure' : 'success' };
  const realm = text(event['realmName']) ?? text(event['realmId']);
  if (realm) result.source.name = clip(realm, 256);
  const id = text(event['id']) ?? [time, operation, resourcePath ?? '-', userId ?? '-', ip ?? '-'].join('|');
  result.id = clip(`keycloak:${id}`, 256);
  result.reason = clip(error ?? `${operation} ${resourceType ?? 'resource'}`.toLowerCase(), 512);
  const principal = userOf(userId);
  if (principal) result.principal = principal;
  if (ip) result.client = { ip };
  const target = defined({ path: clip(resourcePath, 4096), method: clip(operation, 16), service: clip(resourceType, 512) });
  if (target) result.target = target;
  return { ok: true, events: [result] };
}

function readError(error: string | undefined): string {
  if (error === undefined) return 'failed';
  return ERRORS[error] ?? error;
}

function userOf(id: string | undefined): PrincipalDto | undefined {
  return id ? { type: 'user', id: clip(id, 512) } : undefined;
}

function serviceOf(id: string | undefined): PrincipalDto | undefined {
  return id ? { type: 'service', id: clip(id, 512) } : undefined;
}

/** `key=` then a quoted value, or an unquoted one that runs to the comma before the next `key=`. */
const KEY_VALUE = /([A-Za-z_][\w.-]*)=("(?:[^"\\]|\\.)*"|(?:[^,]|,(?!\s*[A-Za-z_][\w.-]*=))*)(?:,\s*|\s*$)/y;

/**
 * `type="LOGIN", realmId="…", userId="null", …` (Keycloak 23+ quotes values) or the older
 * unquoted `type=LOGIN, realmId=…`. `null` is absent. Not such a list: undefined.
 */
function readKeyValues(message: string): Record<string, string> | undefined {
  const fields: Record<string, string> = {};
  const pattern = new RegExp(KEY_VALUE);
  const input = message.trim();
  while (pattern.lastIndex < input.length) {
    const m = pattern.exec(input);
    if (!m) return undefined;
    const [, key = '', raw = ''] = m;
    const value = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw.trim();
    if (value !== '' && value !== 'null') fields[key] = value;
  }
  return fields;
}

/** Epoch milliseconds (a number or digits), or an ISO-8601 date-time; as UTC ISO-8601. */
function epochOrIsoTime(raw: unknown): string | undefined {
  const ms = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d{10,}$/.test(raw) ? Number(raw) : undefined;
  if (ms !== undefined) return Number.isSafeInteger(ms) && ms >= 0 && ms <= 8.64e15 ? new Date(ms).toISOString() : undefined;
  return typeof raw === 'string' ? isoTime(raw) : undefined;
}

// ---- reading JSON records ------------------------------------------------------------------

