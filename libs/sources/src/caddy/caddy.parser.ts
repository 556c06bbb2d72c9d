import type { ClientDto, TargetDto } from '@ratchet/contracts';
import { ignoredRecord, refusedRecord, type SourceParser, type SourceResult } from '../source-parser';
import { clip, decideHttpAccess, hostWithoutPort, httpAccessEvent, isHttpMethod, isHttpStatus, isIpAddress, recordId, splitTarget } from '../http/http-access';
import { isoTime } from '../json/json-record';

type JsonRecord = Readonly<Record<string, unknown>>;

const isRecord = (value: unknown): value is JsonRecord => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** `ts`: Unix seconds with a fraction (Caddy's default `time_format`), Unix milliseconds (`unix_milli_float`) or an ISO-8601 text (`iso8601`, `rfc3339`). */
function timeOf(ts: unknown): string | undefined {
  if (typeof ts === 'number' && Number.isFinite(ts) && ts > 0) {
    // Seconds until the year 5138; a larger number is milliseconds.
    const ms = ts < 1e11 ? ts * 1000 : ts;
    const date = new Date(Math.floor(ms));
    return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
  }
  return typeof ts === 'string' ? isoTime(ts) : undefined;
}

/** A header as Caddy logs it: a list of values; the first, or undefined. */
function header(headers: unknown, name: string): string | undefined {
  if (!isRecord(headers)) return undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase());
  const values = key === undefined ? undefined : headers[key];
  return Array.isArray(values) ? text(values[0]) : undefined;
}

/** Where the client is, best first: Caddy's own verdict under `trusted_proxies`, the peer, the peer before Caddy 2.5. */
const ADDRESS_KEYS = ['client_ip', 'remote_ip', 'remote_addr'] as const;

/** `remote_addr` of Caddy before 2.5: `ip:port` or `[ipv6]:port`. */
function addressWithoutPort(value: string): string {
  if (isIpAddress(value)) return value;
  const bracketed = /^\[([^\]]+)\]:\d+$/.exec(value);
  if (bracketed) return bracketed[1] as string;
  const v4 = /^([^:]+):\d+$/.exec(value);
  return v4 ? (v4[1] as string) : value;
}

/**
 * One line of Caddy 2's JSON access log (`log` in a site block; logger `http.log.access…`,
 * message `handled request`). Every request is an event (north-south), decided like every HTTP
 * source (`decideHttpAccess`), with one thing only Caddy's log says: whether the request carried
 * credentials. Caddy logs the request headers with `Authorization` (and `Proxy-Authorization`)
 * redacted but present, so a 401 to a request that sent them is refused credentials — a failed
 * login, named by `user_id` when set — while a 401 to a request without them is the challenge a
 * client gets before it asks for a password (a `request` failure, as elsewhere). `user_id` is set
 * by `basic_auth` on success. `client.ip` is `request.client_ip` — the client address Caddy
 * derived under its own `trusted_proxies` setting — else `remote_ip` (else `remote_addr`, before
 * Caddy 2.5). Other loggers' lines (errors, TLS, admin) are ignored. Id: sha1 of the record.
 */
export const caddyParser: SourceParser = {
  id: 'caddy',
  summary:
    'Caddy 2 JSON access log (request.client_ip/remote_ip, method, host, uri, headers; status, user_id, ts): a 401 to a request that sent Authorization = failed login; other loggers ignored',
  framing: 'json',
  parse(record): SourceResult {
    if (!isRecord(record)) return refusedRecord('(record): must be a JSON object');
    const logger = text(record['logger']);
    if (logger !== undefined && !logger.startsWith('http.log.access')) return ignoredRecord(`caddy ${clip(logger, 64)} log line, not an access log entry`);
    const request = record['request'];
    if (!isRecord(request)) return refusedRecord('request: is required (an object)');
    const time = timeOf(record['ts']);
    if (time === undefined) return refusedRecord('ts: is required (Unix seconds, or an ISO-8601 date-time)');
    const status = record['status'];
    if (typeof status !== 'number' || !Number.isInteger(status)) return refusedRecord('status: is required (an integer)');

    const addressKey = ADDRESS_KEYS.find((key) => text(request[key]) !== undefined);
    const address = addressKey === undefined ? undefined : addressWithoutPort(request[addressKey] as string);
    if (address !== undefined && !isIpAddress(address)) return refusedRecord(`request.${addressKey ?? ''}: not an IP address`);
    const rawMethod = text(request['method']);
    const method = rawMethod !== undefined && isHttpMethod(rawMethod) ? rawMethod : undefined;
    const uri = text(request['uri']);
    const headers = request['headers'];
    const credentials = header(headers, 'Authorization') !== undefined || header(headers, 'Proxy-Authorization') !== undefined;
    const user = text(record['user_id']);

    const target: TargetDto = {};
    const host = text(request['host']);
    const hostName = host === undefined ? undefined : hostWithoutPort(host);
    if (hostName !== undefined) target.host = hostName;
    if (method !== undefined) target.method = method;
    if (uri !== undefined) target.path = clip(splitTarget(uri).path, 4096);
    if (isHttpStatus(status)) target.status = status;

    const client: ClientDto = {};
    if (address !== undefined) client.ip = address;
    const userAgent = header(headers, 'User-Agent');
    if (userAgent !== undefined) client.userAgent = clip(userAgent, 1024);

    const access = decideHttpAccess(status, method, target.path, user !== undefined || credentials);
    const event = httpAccessEvent({ id: recordId('caddy', JSON.stringify(record)), time, kind: 'caddy', access, ...(user === undefined ? {} : { user }), client, target });
    return { ok: true, events: [event] };
  },
};
