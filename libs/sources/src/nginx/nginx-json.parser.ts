import type { ClientDto, TargetDto } from '@ratchet/contracts';
import { refusedRecord, type SourceParser, type SourceResult } from '../source-parser';
import { clip, decideHttpAccess, httpAccessEvent, isHttpStatus, hostWithoutPort, isHttpMethod, isIpAddress, present, recordId, splitRequestLine, splitTarget, type RequestTarget } from '../http/http-access';
import { checkIsoTime, isoFromMsec, parseTimeLocal } from '../http/http-time';

type JsonRecord = Readonly<Record<string, unknown>>;

/** A field as text: strings as they are, numbers written out; absent, empty and `-` as undefined. */
function text(record: JsonRecord, key: string): string | undefined {
  const value = record[key];
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' && present(value) ? value : undefined;
}

/** Event time from `time_iso8601`, else `time_local`, else `msec`; the first present field decides. */
function timeOf(record: JsonRecord): { time: string } | { problem: string } {
  const iso = text(record, 'time_iso8601');
  if (iso !== undefined) return checked(checkIsoTime(iso), 'time_iso8601: not an ISO-8601 date-time with offset');
  const local = text(record, 'time_local');
  if (local !== undefined) return checked(parseTimeLocal(local), 'time_local: not dd/Mon/yyyy:HH:MM:SS ±hhmm');
  const msec = record['msec'];
  if (typeof msec === 'number' || (typeof msec === 'string' && msec !== '')) return checked(isoFromMsec(msec), 'msec: not seconds since the epoch');
  return { problem: 'time_iso8601: is required (or time_local, or msec)' };
}

function checked(time: string | undefined, problem: string): { time: string } | { problem: string } {
  return time === undefined ? { problem } : { time };
}

/** `request` (`GET /x HTTP/1.1`), else `request_method` with `request_uri` (or `uri`). */
function requestOf(record: JsonRecord): RequestTarget {
  const request = text(record, 'request');
  if (request !== undefined) return splitRequestLine(request);
  const method = text(record, 'request_method');
  const uri = text(record, 'request_uri') ?? text(record, 'uri');
  const target: RequestTarget = method !== undefined && isHttpMethod(method) ? { method } : {};
  return uri === undefined ? target : { ...target, ...splitTarget(uri) };
}

/**
 * NGINX `log_format … escape=json` records with the variables' own names. Read: `remote_addr`,
 * `remote_user`, `time_iso8601` | `time_local` | `msec`, `request` | `request_method` + `request_uri`,
 * `status`, `http_user_agent`, `host` | `http_host` | `server_name`, and `http_x_forwarded_for` (handed to
 * the collector, which resolves the client against its trusted proxies). Same decisions as `nginx-access`.
 */
export const nginxJsonParser: SourceParser = {
  id: 'nginx-json',
  summary:
    'NGINX JSON log_format (escape=json) using the variable names: remote_addr, time_iso8601|time_local|msec, request|request_method+request_uri, status, host; id = sha1 of the record, never the client-settable request_id alone',
  framing: 'json',
  parse(record): SourceResult {
    if (typeof record !== 'object' || record === null || Array.isArray(record)) return refusedRecord('(record): must be a JSON object');
    const fields = record as JsonRecord;

    const when = timeOf(fields);
    if ('problem' in when) return refusedRecord(when.problem);

    const rawStatus = fields['status'];
    if (rawStatus === undefined || rawStatus === null || rawStatus === '' || rawStatus === '-') return refusedRecord('status: is required');
    const statusText = text(fields, 'status');
    if (statusText === undefined || !/^\d{3}$/.test(statusText)) return refusedRecord('status: not a three-digit HTTP status');
    const status = +statusText;

    const client: ClientDto = {};
    const address = text(fields, 'remote_addr');
    if (address !== undefined && address !== 'unix:') {
      if (!isIpAddress(address)) return refusedRecord('remote_addr: not an IP address');
      client.ip = address;
    }
    const userAgent = text(fields, 'http_user_agent');
    if (userAgent !== undefined) client.userAgent = clip(userAgent, 1024);

    const user = text(fields, 'remote_user');
    const request = requestOf(fields);
    const access = decideHttpAccess(status, request.method, request.path, user !== undefined);

    const target: TargetDto = {};
    const host = request.host ?? hostWithoutPort(text(fields, 'host') ?? text(fields, 'http_host') ?? text(fields, 'server_name') ?? '');
    if (host !== undefined) target.host = host;
    if (request.method !== undefined) target.method = request.method;
    if (request.path !== undefined) target.path = request.path;
    if (isHttpStatus(status)) target.status = status;

    const event = httpAccessEvent({ id: recordId('nginx-json', JSON.stringify(record)), time: when.time, kind: 'nginx', access, client, target, ...(user !== undefined ? { user } : {}) });
    const forwardedFor = text(fields, 'http_x_forwarded_for');
    return forwardedFor === undefined ? { ok: true, events: [event] } : { ok: true, events: [event], forwardedFor };
  },
};
