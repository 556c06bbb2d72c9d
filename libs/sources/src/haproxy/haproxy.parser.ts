import type { AuthEventInput, TargetDto } from '@ratchet/contracts';
import { ignoredRecord, refusedRecord, type SourceParser, type SourceResult } from '../source-parser';
import { clip, decideHttpAccess, httpAccessEvent, isHttpStatus, isIpAddress, recordId, splitRequestLine } from '../http/http-access';
import { isoFromUtcParts, monthNumber } from '../http/http-time';

/**
 * `<address>:<port> [dd/Mon/yyyy:hh:mm:ss.mmm] `: the client and the accept date (local time, no
 * zone). IPv6 is written without brackets (`2001:db8::7:51234`): the port is after the last colon.
 */
const HEAD = /^(\S+):(\d{1,5}) \[(\d\d)\/([A-Z][a-z]{2})\/(\d{4}):(\d\d):(\d\d):(\d\d)(\.\d{3})?\] /;

/**
 * `option httplog` after the head: `frontend[~] backend/server TR/Tw/Tc/Tr/Ta status bytes
 * req_cookie res_cookie termination_state actconn/feconn/beconn/srv_conn/retries srv_queue/backend_queue
 * [{captured request headers}] [{captured response headers}] "request line"`.
 */
const HTTP_LOG =
  /^(\S+) ([^\s/]+)\/(\S+) -?\d+\/-?\d+\/-?\d+\/-?\d+\/\+?-?\d+ (-?\d{1,3}) \+?\d+ \S+ \S+ (\S{4}) \S+ \S+(?: \{[^}]*\}){0,2} "(.*)"$/;
/** `option tcplog`: the same without status, cookies, captures or request. */
const TCP_LOG = /^\S+ [^\s/]+\/\S+ -?\d+\/-?\d+\/\+?-?\d+ \+?\d+ \S{2} /;
/** `frontend/bind: SSL handshake failure[ (detail)]`. */
const TLS_FAILURE = /^\S+\/\S+: SSL handshake failure(?: \((.*)\))?/;

/** The accept date as UTC ISO-8601; undefined when it does not exist. */
function dateOf(m: RegExpExecArray): string | undefined {
  const [, , , day, mon, year, hh, mm, ss, ms] = m as unknown as [string, string, string, string, string, string, string, string, string, string?];
  return isoFromUtcParts(year, monthNumber(mon), day, hh, mm, ss, ms === undefined ? 0 : +ms.slice(1));
}

/**
 * One HAProxy log line (`option httplog`, behind its syslog header, which the catalogue strips).
 * An HTTP request is an event (north-south) decided like every HTTP source (`decideHttpAccess`):
 * `http-request auth` answers 401 from `<NOSRV>` (HAProxy logs no user name), `http-request deny`
 * 403, a `deny_status 429` rate limit 429. `target.service` is the backend. A TLS handshake failure
 * is a failed request (`tls handshake failed`). TCP-mode lines and HAProxy's own messages are
 * ignored. The accept date has no zone: read as UTC. Id: sha1 of the line.
 */
export const haproxyParser: SourceParser = {
  id: 'haproxy',
  summary:
    'HAProxy HTTP log (option httplog, plain or via syslog): every request with its status (401 from http-request auth, 403 deny, 429); TLS handshake failures; TCP lines ignored; accept date read as UTC',
  framing: 'line',
  parse(record): SourceResult {
    if (typeof record !== 'string') return refusedRecord('(line): must be a text line');
    const head = HEAD.exec(record);
    if (head === null) {
      if (record.trim() === '') return refusedRecord('(line): is empty');
      return /^\S+:\d{1,5} \[/.test(record) ? refusedRecord('accept date: not dd/Mon/yyyy:hh:mm:ss.mmm') : ignoredRecord('haproxy message without a client request');
    }
    const address = head[1] as string;
    if (!isIpAddress(address)) return refusedRecord('client address: not an IP address');
    const time = dateOf(head);
    if (time === undefined) return refusedRecord('accept date: not a real date and time');
    const rest = record.slice(head[0].length);

    const tls = TLS_FAILURE.exec(rest);
    if (tls !== null) {
      const reason = tls[1] === undefined ? 'tls handshake failed' : `tls handshake failed: ${tls[1]}`;
      const event: AuthEventInput = {
        id: recordId('haproxy', record),
        time,
        source: { kind: 'haproxy' },
        plane: 'north-south',
        action: 'request',
        outcome: 'failure',
        reason: clip(reason, 512),
        principal: { type: 'anonymous' },
        client: { ip: address },
      };
      return { ok: true, events: [event] };
    }
    const http = HTTP_LOG.exec(rest);
    if (http === null) {
      if (TCP_LOG.test(rest)) return ignoredRecord('tcp-mode connection (no HTTP request)');
      return ignoredRecord('haproxy line that is neither an httplog request nor a TLS failure');
    }
    const status = +(http[4] as string);
    const request = splitRequestLine(http[6] as string);
    const access = decideHttpAccess(status, request.method, request.path, false);
    const target: TargetDto = {};
    if (request.host !== undefined) target.host = request.host;
    if (request.method !== undefined) target.method = request.method;
    if (request.path !== undefined) target.path = request.path;
    const backend = http[2] as string;
    target.service = clip(backend, 512);
    if (isHttpStatus(status)) target.status = status;
    const event = httpAccessEvent({
      id: recordId('haproxy', record),
      time,
      kind: 'haproxy',
      access: isHttpStatus(status) ? access : { ...access, reason: 'no http response' },
      client: { ip: address },
      target,
    });
    return { ok: true, events: [event] };
  },
};
