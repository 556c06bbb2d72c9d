import type { ClientDto, TargetDto } from '@ratchet/contracts';
import { refusedRecord, type SourceParser, type SourceResult } from '../source-parser';
import { clip, decideHttpAccess, httpAccessEvent, isHttpStatus, isIpAddress, present, recordId, splitRequestLine, unescapeNginx } from '../http/http-access';
import { compileCombinedReader } from '../http/combined-log';

/**
 * `combined`: `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"`,
 * then whatever a format appends (the tail): F5 NGINX Ingress Controller's `main` adds `"$http_x_forwarded_for"`,
 * ingress-nginx's `upstreaminfo` adds `$request_length $request_time [$proxy_upstream_name] …`.
 * NGINX escapes `"` inside variables as `\x22`, so a quoted field never holds a bare quote.
 */
const COMBINED = compileCombinedReader({
  names: {
    address: '$remote_addr',
    user: '$remote_user',
    time: '$time_local',
    request: '$request',
    status: '$status',
    bytes: '$body_bytes_sent',
    referer: '$http_referer',
    userAgent: '$http_user_agent',
  },
  quoting: 'hex',
  commonAllowed: false,
  statusMayBeAbsent: false,
});

/** ingress-nginx `upstreaminfo` after the user agent: ` $request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] …`. */
const UPSTREAMINFO_TAIL = /^ \d+ [\d.]+ \[([^\]]*)\] \[/;

/** F5 NGINX Ingress Controller `main` after the user agent: ` "$http_x_forwarded_for"`. */
const FORWARDED_FOR_TAIL = /^ "([^"]*)"/;

/**
 * One access-log line of an NGINX-based ingress. Every request is an event (north-south):
 * see `decideHttpAccess` for action and outcome; `reason` is always `http <status>`.
 */
export const nginxAccessParser: SourceParser = {
  id: 'nginx-access',
  summary:
    'NGINX access log, `combined` or F5 NGINX Ingress Controller `main` (+ingress-nginx `upstreaminfo`); `$time_local` keeps its offset; the $http_x_forwarded_for of `main` is resolved by the collector against its trusted proxies; id = sha1 of the line (the collector numbers identical lines within a request)',
  framing: 'line',
  parse(record): SourceResult {
    if (typeof record !== 'string') return refusedRecord('(line): must be a text line');
    const line = COMBINED.read(record);
    if ('problem' in line) return refusedRecord(line.problem);

    const address = line.address;
    const addressIsIp = isIpAddress(address);
    if (!addressIsIp && address !== 'unix:') return refusedRecord('$remote_addr: not an IP address');

    const user = unescapeNginx(line.user);
    const withUser = user !== '-' && user !== '';
    const status = line.status ?? 0;
    const request = splitRequestLine(unescapeNginx(line.request));
    const access = decideHttpAccess(status, request.method, request.path, withUser);

    const target: TargetDto = {};
    if (request.method !== undefined) target.method = request.method;
    if (request.path !== undefined) target.path = request.path;
    if (request.host !== undefined) target.host = request.host;
    if (isHttpStatus(status)) target.status = status;
    const tail = line.tail;
    let forwardedFor: string | undefined;
    if (tail.length > 0) {
      const upstream = UPSTREAMINFO_TAIL.exec(tail);
      if (upstream !== null && present(upstream[1])) target.service = clip(upstream[1], 512);
      const forwarded = FORWARDED_FOR_TAIL.exec(tail);
      if (forwarded !== null && present(forwarded[1])) forwardedFor = forwarded[1];
    }

    const userAgent = line.userAgent;
    const client: ClientDto = addressIsIp ? { ip: address } : {};
    if (present(userAgent)) client.userAgent = clip(unescapeNginx(userAgent), 1024);
    const event = httpAccessEvent({ id: recordId('nginx-access', record), time: line.time, kind: 'nginx', access, client, target, ...(withUser ? { user } : {}) });
    return forwardedFor === undefined ? { ok: true, events: [event] } : { ok: true, events: [event], forwardedFor };
  },
};
