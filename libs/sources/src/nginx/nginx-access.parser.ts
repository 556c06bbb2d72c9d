import type { AuthEventInput, ClientDto, TargetDto } from '@ratchet/contracts';
import { refusedRecord, type SourceParser, type SourceResult } from '../source-parser';
import { clip, decideHttpAccess, isIpAddress, present, recordId, splitRequestLine, unescapeNginx } from '../http/http-access';
import { isoFromTimeLocal } from '../http/http-time';

/**
 * `combined`: `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"`,
 * then whatever a format appends (the tail): F5 NGINX Ingress Controller's `main` adds `"$http_x_forwarded_for"`,
 * ingress-nginx's `upstreaminfo` adds `$request_length $request_time [$proxy_upstream_name] …`.
 * NGINX escapes `"` inside variables as `\x22`, so a quoted field never holds a bare quote.
 */
const ACCESS_LINE =
  /^(\S+) \S+ (.+?) \[(\d\d)\/([A-Z][a-z]{2})\/(\d{4}):(\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)\] "([^"]*)" (\d{3}) (?:\d+|-) "[^"]*" "([^"]*)"(.*)$/;

/** ingress-nginx `upstreaminfo` after the user agent: ` $request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] …`. */
const UPSTREAMINFO_TAIL = /^ \d+ [\d.]+ \[([^\]]*)\] \[/;

/** F5 NGINX Ingress Controller `main` after the user agent: ` "$http_x_forwarded_for"`. */
const FORWARDED_FOR_TAIL = /^ "([^"]*)"/;

/**
 * Checked in order on a line the main pattern refused, to name the first field that is wrong.
 * Bracket contents are bounded (`$time_local` has 26 characters) so a line of many `[` stays linear.
 */
const DIAGNOSIS: readonly [RegExp, string][] = [
  [/^\S+ \S+ /, '$remote_addr: missing (expected "$remote_addr - $remote_user [$time_local] …")'],
  [/^\S+ \S+ .+? \[[^\]]{0,64}\] /, '$time_local: missing (expected "[dd/Mon/yyyy:HH:MM:SS ±hhmm]" after $remote_user)'],
  [/^\S+ \S+ .+? \[\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] /, '$time_local: not dd/Mon/yyyy:HH:MM:SS ±hhmm'],
  [/^\S+ \S+ .+? \[[^\]]{0,64}\] "[^"]*" /, '$request: missing or not quoted'],
  [/^\S+ \S+ .+? \[[^\]]{0,64}\] "[^"]*" \d{3} /, '$status: not a three-digit HTTP status'],
  [/^\S+ \S+ .+? \[[^\]]{0,64}\] "[^"]*" \d{3} (?:\d+|-)(?: |$)/, '$body_bytes_sent: not a number'],
  [/^\S+ \S+ .+? \[[^\]]{0,64}\] "[^"]*" \d{3} (?:\d+|-) "[^"]*" /, '$http_referer: missing or not quoted (the common log format, without referer and user agent, is not read)'],
];

function diagnose(line: string): string {
  if (line.trim() === '') return '(line): is empty';
  for (const [pattern, reason] of DIAGNOSIS) if (!pattern.test(line)) return reason;
  return '$http_user_agent: missing or not quoted';
}

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
    const m = ACCESS_LINE.exec(record);
    if (m === null) return refusedRecord(diagnose(record));

    const time = isoFromTimeLocal(
      m[3] as string,
      m[4] as string,
      m[5] as string,
      m[6] as string,
      m[7] as string,
      m[8] as string,
      m[9] as string,
      m[10] as string,
      m[11] as string,
    );
    if (time === undefined) return refusedRecord('$time_local: not a real date and time');

    const address = m[1] as string;
    const addressIsIp = isIpAddress(address);
    if (!addressIsIp && address !== 'unix:') return refusedRecord('$remote_addr: not an IP address');

    const user = unescapeNginx(m[2] as string);
    const withUser = user !== '-' && user !== '';
    const status = +(m[13] as string);
    const request = splitRequestLine(unescapeNginx(m[12] as string));
    const access = decideHttpAccess(status, request.method, request.path, withUser);

    const target: TargetDto = {};
    if (request.method !== undefined) target.method = request.method;
    if (request.path !== undefined) target.path = request.path;
    if (request.host !== undefined) target.host = request.host;
    const tail = m[15] as string;
    let forwardedFor: string | undefined;
    if (tail.length > 0) {
      const upstream = UPSTREAMINFO_TAIL.exec(tail);
      if (upstream !== null && present(upstream[1])) target.service = clip(upstream[1], 512);
      const forwarded = FORWARDED_FOR_TAIL.exec(tail);
      if (forwarded !== null && present(forwarded[1])) forwardedFor = forwarded[1];
    }

    const userAgent = m[14] as string;
    const client: ClientDto = addressIsIp ? { ip: address } : {};
    if (present(userAgent)) client.userAgent = clip(unescapeNginx(userAgent), 1024);
    const event: AuthEventInput = {
      id: recordId('nginx-access', record),
      time,
      source: { kind: 'nginx' },
      plane: 'north-south',
      action: access.action,
      outcome: access.outcome,
      reason: access.reason,
      principal: withUser ? { type: 'user', id: clip(user, 512) } : { type: 'anonymous' },
    };
    if (client.ip !== undefined || client.userAgent !== undefined) event.client = client;
    if (request.method !== undefined || target.service !== undefined) event.target = target;
    if (withUser) event.auth = { method: 'basic' };
    return forwardedFor === undefined ? { ok: true, events: [event] } : { ok: true, events: [event], forwardedFor };
  },
};
