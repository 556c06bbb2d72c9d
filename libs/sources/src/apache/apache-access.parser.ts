import type { ClientDto, TargetDto } from '@ratchet/contracts';
import { refusedRecord, type SourceParser, type SourceResult } from '../source-parser';
import { clip, decideHttpAccess, httpAccessEvent, hostWithoutPort, isHttpStatus, isIpAddress, present, recordId, splitRequestLine } from '../http/http-access';
import { compileCombinedReader, unescapeBackslashes } from '../http/combined-log';

/**
 * `common` (`%h %l %u %t \"%r\" %>s %b`) and `combined` (`… \"%{Referer}i\" \"%{User-agent}i\"`),
 * also behind `%v:%p ` (`vhost_combined`, Debian's `other_vhosts_access.log`). Apache escapes `"`
 * and `\` in `%r`, `%u` and headers with a backslash and other bytes as `\xhh`.
 */
const COMBINED = compileCombinedReader({
  names: { address: '%h', user: '%u', time: '%t', request: '%r', status: '%>s', bytes: '%b', referer: '%{Referer}i', userAgent: '%{User-agent}i' },
  quoting: 'backslash',
  commonAllowed: true,
  statusMayBeAbsent: false,
});

/** `vhost_combined`'s `%v:%p ` in front: a server name and a port, never an address alone. */
const VHOST = /^([A-Za-z0-9][A-Za-z0-9.-]{0,252}):\d{1,5} /;

/**
 * One Apache httpd access-log line. Every request is an event (north-south), decided like every
 * HTTP source (`decideHttpAccess`): `reason` is `http <status>`, `target.status` the status; a
 * basic-auth user refused with 401 is a failed login.
 */
export const apacheAccessParser: SourceParser = {
  id: 'apache',
  summary:
    'Apache httpd access log, `common`, `combined` or `vhost_combined`; `%t` keeps its offset; %h must be an address (HostnameLookups Off); id = sha1 of the line',
  framing: 'line',
  parse(record): SourceResult {
    if (typeof record !== 'string') return refusedRecord('(line): must be a text line');
    let text = record;
    let vhost: string | undefined;
    const prefix = VHOST.exec(record);
    if (prefix !== null && !isIpAddress(record.slice(0, record.indexOf(' ')))) {
      vhost = hostWithoutPort(prefix[1] as string);
      text = record.slice(prefix[0].length);
    }
    const line = COMBINED.read(text);
    if ('problem' in line) return refusedRecord(line.problem);
    if (!isIpAddress(line.address)) return refusedRecord('%h: not an IP address (HostnameLookups must be Off)');

    const user = unescapeBackslashes(line.user);
    const withUser = present(user);
    const status = line.status ?? 0;
    const request = splitRequestLine(unescapeBackslashes(line.request));
    const access = decideHttpAccess(status, request.method, request.path, withUser);

    const target: TargetDto = {};
    const host = request.host ?? vhost;
    if (host !== undefined) target.host = host;
    if (request.method !== undefined) target.method = request.method;
    if (request.path !== undefined) target.path = request.path;
    if (isHttpStatus(status)) target.status = status;

    const client: ClientDto = { ip: line.address };
    if (line.userAgent !== undefined && present(line.userAgent)) client.userAgent = clip(unescapeBackslashes(line.userAgent), 1024);
    const event = httpAccessEvent({ id: recordId('apache', record), time: line.time, kind: 'apache', access, client, target, ...(withUser ? { user } : {}) });
    return { ok: true, events: [event] };
  },
};
