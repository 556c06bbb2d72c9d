import type { AuthAction, AuthEventInput, PrincipalDto } from '@ratchet/contracts';
import { recordId } from '../http/http-access';
import { address, asNumber, asObject, clip, coordinate, defined, isObject, isoCountry, isoTime, objectAt, text } from '../json/json-record';
import { ignoredRecord, refusedRecord, type SourceParser, type SourceResult } from '../source-parser';

/**
 * OCSF Authentication events (class 3002, category 3 Identity & Access Management; schema 1.x),
 * one per record, from any OCSF producer: AWS Security Lake, Amazon Cognito, Okta / Entra / Windows
 * mappings in a SIEM pipeline. Other OCSF classes are ignored and counted under their class.
 *
 * - `activity_id` says what was asked: 1 Logon, 3 Authentication Ticket (Kerberos TGT), 6 Preauth
 *   and 7 Account Switch are `login`; 4 Service Ticket and 5 Service Ticket Renew are `token`;
 *   2 Logoff, 0 Unknown and 99 Other are ignored (a logoff proves nothing about who may log in).
 * - `status_id` 1 is success, 2 failure; 0 Unknown and 99 Other are ignored. A failure's reason is
 *   `status_detail`, else `status_code`, else `status`.
 * - `time` is epoch milliseconds (OCSF's timestamp_t); `time_dt` (the date-time profile) is read
 *   when `time` is absent.
 * - The principal is `user.name`, else `user.email_addr`, else `user.uid`, as the producer spells
 *   it (OCSF does not say whether names are case-sensitive; AWS IAM names are). `user.type_id` 3
 *   (System) is a service.
 * - `src_endpoint.ip` is the client; its `location` (`country` alpha-2 or a name the country table knows, `city`, `lat`/`long` or
 *   `coordinates` [lon, lat]) becomes `client.geo`, its `autonomous_system` `client.asn`. A place
 *   that does not fit the contract is dropped, not refused: it is context, not the event.
 * - `dst_endpoint.hostname` is the target host (lower-cased), `service.name` the service,
 *   `http_request.url.path` / `http_method` the path and method, `auth_protocol` the method,
 *   `is_mfa` whether a second factor was used, `session.uid` the session.
 * - The id is `metadata.uid`, else a hash of the record; `metadata.product.name` names the source.
 */
export const ocsfParser: SourceParser = {
  id: 'ocsf',
  summary: 'OCSF Authentication events (JSON, class 3002, schema 1.x): Security Lake and any OCSF producer',
  framing: 'json',
  parse: parseOcsfEvent,
};

const AUTHENTICATION_CLASS = 3002;

/** OCSF Authentication `activity_id` → what Ratchet counts; absent ids are ignored by name. */
const ACTIVITIES: Readonly<Record<number, AuthAction>> = {
  1: 'login', // Logon
  3: 'login', // Authentication Ticket: a Kerberos TGT request carries the password proof
  4: 'token', // Service Ticket
  5: 'token', // Service Ticket Renew
  6: 'login', // Preauth: Kerberos pre-authentication failures are password guesses
  7: 'login', // Account Switch: su, runas, sudo -i
};

const ACTIVITY_NAMES: Readonly<Record<number, string>> = { 0: 'Unknown', 2: 'Logoff', 99: 'Other' };

/** `user.type_id` 3: a system account. */
const SYSTEM_USER = 3;

function parseOcsfEvent(record: unknown): SourceResult {
  if (!isObject(record)) return refusedRecord('(record): must be a JSON object');
  const classUid = record['class_uid'];
  if (classUid === undefined || classUid === null) return refusedRecord('class_uid: is required');
  if (typeof classUid !== 'number' || !Number.isInteger(classUid)) return refusedRecord('class_uid: must be a whole number');
  if (classUid !== AUTHENTICATION_CLASS) return ignoredRecord(`OCSF class ${classUid}${named(record['class_name'])}`);

  const activityId = record['activity_id'];
  if (typeof activityId !== 'number' || !Number.isInteger(activityId)) return refusedRecord('activity_id: must be a whole number');
  const action = ACTIVITIES[activityId];
  if (action === undefined) return ignoredRecord(`authentication activity ${activityId}${named(record['activity_name'] ?? ACTIVITY_NAMES[activityId])}`);

  const statusId = record['status_id'];
  if (statusId !== 1 && statusId !== 2) {
    if (statusId === 0 || statusId === 99) return ignoredRecord(`authentication status ${statusId}${named(record['status'])}`);
    return refusedRecord('status_id: must be 1 (Success), 2 (Failure), 0 (Unknown) or 99 (Other)');
  }

  const time = readTime(record);
  if (!time.ok) return refusedRecord(time.reason);

  const src = asObject(record['src_endpoint']);
  const ip = address(src?.['ip']);
  if (ip === false) return refusedRecord('src_endpoint.ip: must be an IPv4 or IPv6 address');

  const metadata = asObject(record['metadata']);
  const uid = text(metadata?.['uid']);
  const event: AuthEventInput = {
    id: uid ? clip(`ocsf:${uid}`, 256) : recordId('ocsf', JSON.stringify(record)),
    time: time.value,
    source: { kind: 'ocsf' },
    plane: 'north-south',
    action,
    outcome: statusId === 1 ? 'success' : 'failure',
  };
  const product = text(objectAt(metadata, 'product')?.['name']);
  if (product) event.source.name = clip(product, 256);
  const reason = statusId === 2 ? (text(record['status_detail']) ?? text(record['status_code']) ?? text(record['status'])) : undefined;
  if (reason) event.reason = clip(reason, 512);
  const principal = readPrincipal(asObject(record['user']));
  if (principal) event.principal = principal;

  const location = asObject(src?.['location']);
  const coordinates = Array.isArray(location?.['coordinates']) ? (location['coordinates'] as unknown[]) : [];
  const geo = defined({
    country: isoCountry(location?.['country']),
    city: clip(text(location?.['city']), 128),
    lat: coordinate(location?.['lat'] ?? coordinates[1], 90),
    lon: coordinate(location?.['long'] ?? coordinates[0], 180),
  });
  const system = asObject(src?.['autonomous_system']);
  const asn = asNumber(system?.['number']);
  const http = asObject(record['http_request']);
  const client = defined({
    ip,
    userAgent: clip(text(http?.['user_agent']), 1024),
    sessionId: clip(text(objectAt(record, 'session')?.['uid']), 256),
    geo,
    asn: asn === undefined ? undefined : defined({ number: asn, org: clip(text(system?.['name']), 256) }),
  });
  if (client) event.client = client;

  const dst = asObject(record['dst_endpoint']);
  const method = text(http?.['http_method'])?.toUpperCase();
  const target = defined({
    host: clip(text(dst?.['hostname'])?.toLowerCase(), 512),
    path: clip(text(objectAt(http, 'url')?.['path']), 4096),
    method: method !== undefined && method.length <= 16 ? method : undefined,
    service: clip(text(objectAt(record, 'service')?.['name']), 512),
  });
  if (target) event.target = target;
  const isMfa = record['is_mfa'];
  const auth = defined({ method: clip(text(record['auth_protocol'])?.toLowerCase(), 64), mfa: typeof isMfa === 'boolean' ? isMfa : undefined });
  if (auth) event.auth = auth;
  return { ok: true, events: [event] };
}

function readTime(record: Record<string, unknown>): { ok: true; value: string } | { ok: false; reason: string } {
  const time = record['time'];
  if (time !== undefined && time !== null) {
    if (typeof time !== 'number' || !Number.isInteger(time) || time <= 0) return { ok: false, reason: 'time: must be epoch milliseconds (a positive whole number)' };
    const date = new Date(time);
    if (Number.isNaN(date.getTime())) return { ok: false, reason: 'time: is out of range' };
    return { ok: true, value: date.toISOString() };
  }
  const timeDt = record['time_dt'];
  if (timeDt === undefined || timeDt === null) return { ok: false, reason: 'time: is required' };
  const iso = typeof timeDt === 'string' ? isoTime(timeDt) : undefined;
  return iso ? { ok: true, value: iso } : { ok: false, reason: 'time_dt: must be an ISO-8601 date-time' };
}

function readPrincipal(user: Record<string, unknown> | undefined): PrincipalDto | undefined {
  if (!user) return undefined;
  const id = text(user['name']) ?? text(user['email_addr']) ?? text(user['uid']);
  if (!id) return undefined;
  return { type: user['type_id'] === SYSTEM_USER ? 'service' : 'user', id: clip(id, 512) };
}

/** ` (Name)` when the producer named the value, so an ignored count says what it was. */
function named(name: unknown): string {
  const value = text(name);
  return value ? ` (${clip(value, 64)})` : '';
}
