import type { ClientDto, TargetDto } from '@ratchet/contracts';
import { refusedRecord, type SourceParser, type SourceResult } from '../source-parser';
import { clip, decideHttpAccess, httpAccessEvent, hostWithoutPort, isHttpMethod, isHttpStatus, isIpAddress, present, recordId, splitRequestLine, splitTarget, type RequestTarget } from '../http/http-access';
import { compileCombinedReader, unescapeBackslashes } from '../http/combined-log';
import { isoTime, parseJsonObjectLine } from '../json/json-record';

/**
 * Traefik's `common` access-log format: CLF, then `"<referer>" "<user agent>" <request count>
 * "<router>" "<service URL>" <duration>ms` (v2+; v1 wrote the frontend and backend in their place).
 * The status is `-` when the client went away before any response.
 */
const CLF = compileCombinedReader({
  names: { address: 'ClientHost', user: 'ClientUsername', time: 'StartLocal', request: 'request line', status: 'DownstreamStatus', bytes: 'DownstreamContentSize', referer: 'Referer', userAgent: 'User-Agent' },
  quoting: 'backslash',
  commonAllowed: false,
  statusMayBeAbsent: true,
});
const CLF_TAIL = /^ (?:\d+|-) "((?:[^"\\]|\\.)*)" "(?:[^"\\]|\\.)*" (?:\d+|-)ms/;

/** What both formats give. */
interface TraefikEntry {
  time: string;
  address?: string;
  user?: string;
  request: RequestTarget;
  host?: string;
  status?: number;
  userAgent?: string;
  router?: string;
}

function entryOfClf(line: string): TraefikEntry | string {
  const read = CLF.read(line);
  if ('problem' in read) return read.problem;
  if (!isIpAddress(read.address)) return 'ClientHost: not an IP address';
  const entry: TraefikEntry = { time: read.time, address: read.address, request: splitRequestLine(unescapeBackslashes(read.request)) };
  const user = unescapeBackslashes(read.user);
  if (present(user)) entry.user = user;
  if (read.status !== undefined) entry.status = read.status;
  if (read.userAgent !== undefined && present(read.userAgent)) entry.userAgent = unescapeBackslashes(read.userAgent);
  const tail = CLF_TAIL.exec(read.tail);
  if (tail !== null && present(tail[1])) entry.router = unescapeBackslashes(tail[1]);
  return entry;
}

/** A JSON field as text; `-` and empty as absent. */
function field(record: Record<string, unknown>, key: string): string | undefined {
  const value = record[key];
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' && present(value) ? value : undefined;
}

function entryOfJson(line: string): TraefikEntry | string {
  const record = parseJsonObjectLine(line);
  if (typeof record === 'string') return record;
  const rawTime = field(record, 'StartUTC') ?? field(record, 'StartLocal') ?? field(record, 'time');
  if (rawTime === undefined) return 'StartUTC: is required (or StartLocal, or time)';
  const time = isoTime(rawTime);
  if (time === undefined) return 'StartUTC: not an RFC 3339 date-time';
  const status = record['DownstreamStatus'] ?? record['OriginStatus'];
  if (status !== undefined && (typeof status !== 'number' || !Number.isInteger(status))) return 'DownstreamStatus: must be an integer';

  const method = field(record, 'RequestMethod');
  const path = field(record, 'RequestPath');
  const request: RequestTarget = method !== undefined && isHttpMethod(method) ? { method } : {};
  const entry: TraefikEntry = { time, request: path === undefined ? request : { ...request, ...splitTarget(path) } };
  // Behind trusted proxies (`forwardedHeaders.trustedIPs`) Traefik copies X-Forwarded-For here: the
  // last entry is the one the nearest proxy appended; the ones before it are the client's to write.
  const address = field(record, 'ClientHost')?.split(',').pop()?.trim();
  if (address !== undefined) {
    if (!isIpAddress(address)) return 'ClientHost: not an IP address';
    entry.address = address;
  }
  const user = field(record, 'ClientUsername');
  if (user !== undefined) entry.user = user;
  if (typeof status === 'number' && status !== 0) entry.status = status;
  const host = field(record, 'RequestHost');
  if (host !== undefined) entry.host = host;
  const userAgent = field(record, 'request_User-Agent');
  if (userAgent !== undefined) entry.userAgent = userAgent;
  const router = field(record, 'RouterName') ?? field(record, 'ServiceName') ?? field(record, 'FrontendName');
  if (router !== undefined) entry.router = router;
  return entry;
}

/**
 * One Traefik access-log line, `common` (CLF + router) or `json` (`accessLog.format: json`, one
 * object per line). Every request is an event (north-south), decided like every HTTP source
 * (`decideHttpAccess`): a basic-auth (or digest) user refused with 401 is a failed login.
 * `client.ip` is `ClientHost` (its last entry when Traefik copied a forwarded list into it).
 * `target.service` is the router (v1: the frontend); no status (`-`, or 0 in JSON) reads as
 * `no http response`. Id: sha1 of the line.
 */
export const traefikParser: SourceParser = {
  id: 'traefik',
  summary:
    'Traefik access log, `common` (CLF + request count, router, service URL, duration) or JSON lines; basic-auth 401 with a user = failed login; target.service = router',
  framing: 'line',
  parse(record): SourceResult {
    if (typeof record !== 'string') return refusedRecord('(line): must be a text line');
    const entry = record.startsWith('{') ? entryOfJson(record) : entryOfClf(record);
    if (typeof entry === 'string') return refusedRecord(entry);

    const status = entry.status ?? 0;
    const access = decideHttpAccess(status, entry.request.method, entry.request.path, entry.user !== undefined);
    const target: TargetDto = {};
    const host = entry.request.host ?? (entry.host === undefined ? undefined : hostWithoutPort(entry.host));
    if (host !== undefined) target.host = host;
    if (entry.request.method !== undefined) target.method = entry.request.method;
    if (entry.request.path !== undefined) target.path = entry.request.path;
    if (entry.router !== undefined) target.service = clip(entry.router, 512);
    if (isHttpStatus(status)) target.status = status;

    const client: ClientDto = {};
    if (entry.address !== undefined) client.ip = entry.address;
    if (entry.userAgent !== undefined) client.userAgent = clip(entry.userAgent, 1024);
    const event = httpAccessEvent({
      id: recordId('traefik', record),
      time: entry.time,
      kind: 'traefik',
      access: entry.status === undefined ? { ...access, reason: 'no http response' } : access,
      client,
      target,
      ...(entry.user !== undefined ? { user: entry.user } : {}),
    });
    return { ok: true, events: [event] };
  },
};
