import { refusedRecord, type SourceParser, type SourceResult } from '../source-parser';
import { isHttpMethod, recordId } from '../http/http-access';
import { checkIsoTime } from '../http/http-time';
import { envoyResult, envoyValue, type EnvoyEntry } from './envoy-access';

/*
 * Envoy does not escape quotes inside header values. The user agent is matched greedily (`"(.*)"`)
 * so a quote inside it still parses, and the fields after it are anchored to the end of the line;
 * a quote inside X-Forwarded-For, X-Request-ID or :authority makes the line unparseable (refused).
 */

/**
 * Istio's default text format (1.9+):
 * `[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS%
 * %RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS% "%UPSTREAM_TRANSPORT_FAILURE_REASON%" %BYTES_RECEIVED%
 * %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%"
 * "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%" %UPSTREAM_CLUSTER_RAW% %UPSTREAM_LOCAL_ADDRESS%
 * %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS% %REQUESTED_SERVER_NAME% %ROUTE_NAME%`,
 * optionally followed by ` %DOWNSTREAM_PEER_URI_SAN%` (Istio leaves it out; add it to name the calling workload).
 */
const ISTIO_LINE =
  /^\[([^\]]+)\] "(\S+) (\S+) \S+" (\d{1,3}) (\S+) (\S+) (\S+) "([^"]*)" \S+ \S+ \S+ \S+ "([^"]*)" "(.*)" "[^"]*" "([^"]*)" "[^"]*" (\S+) \S+ \S+ (\S+) (\S+) \S+(?: (\S+))?$/;

/**
 * Envoy's default text format:
 * `[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS%
 * %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%"
 * "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"`.
 * It logs no peer address: `client.ip` stays empty rather than trusting X-Forwarded-For, which the
 * client writes (the collector believes the header only from a logged peer that is a trusted proxy).
 */
const ENVOY_LINE = /^\[([^\]]+)\] "(\S+) (\S+) \S+" (\d{1,3}) (\S+) \S+ \S+ \S+ \S+ "([^"]*)" "(.*)" "[^"]*" "([^"]*)" "[^"]*"$/;

const DIAGNOSIS: readonly [RegExp, string][] = [
  [/^\[[^\]]+\] /, '%START_TIME%: missing (expected "[…]" at the start of the line)'],
  [/^\[[^\]]+\] "[^"]*" /, '%REQ(:METHOD)% … %PROTOCOL%: missing or not quoted'],
  [/^\[[^\]]+\] "\S+ \S+ \S+" /, '%REQ(:METHOD)% … %PROTOCOL%: not three fields ("- - -" for TCP)'],
  [/^\[[^\]]+\] "[^"]*" \d{1,3} /, '%RESPONSE_CODE%: not a number'],
];

function diagnose(line: string): string {
  if (line.trim() === '') return '(line): is empty';
  for (const [pattern, reason] of DIAGNOSIS) if (!pattern.test(line)) return reason;
  return "(line): fields after %RESPONSE_FLAGS% match neither Envoy's nor Istio's default format";
}

type TextField = Exclude<keyof EnvoyEntry, 'responseCode'>;

function setPresent(entry: EnvoyEntry, field: TextField, raw: string | undefined): void {
  const value = envoyValue(raw);
  if (value !== undefined) entry[field] = value;
}

/** The fields both formats share: time, request line, status, flags. */
function commonEntry(m: RegExpExecArray): EnvoyEntry | string {
  const startTime = checkIsoTime(m[1] as string);
  if (startTime === undefined) return '%START_TIME%: not an ISO-8601 date-time with offset';
  const entry: EnvoyEntry = { startTime, responseCode: +(m[4] as string) };
  const method = m[2] as string;
  if (isHttpMethod(method)) entry.method = method;
  setPresent(entry, 'path', m[3]);
  setPresent(entry, 'responseFlags', m[5]);
  return entry;
}

function entryOf(line: string): EnvoyEntry | string {
  const istio = ISTIO_LINE.exec(line);
  if (istio !== null) {
    const entry = commonEntry(istio);
    if (typeof entry === 'string') return entry;
    setPresent(entry, 'responseCodeDetails', istio[6]);
    setPresent(entry, 'connectionTerminationDetails', istio[7]);
    setPresent(entry, 'upstreamTransportFailureReason', istio[8]);
    setPresent(entry, 'forwardedFor', istio[9]);
    setPresent(entry, 'userAgent', istio[10]);
    setPresent(entry, 'authority', istio[11]);
    setPresent(entry, 'upstreamCluster', istio[12]);
    setPresent(entry, 'downstreamRemoteAddress', istio[13]);
    setPresent(entry, 'requestedServerName', istio[14]);
    setPresent(entry, 'downstreamPeerUriSan', istio[15]);
    return entry;
  }
  const envoy = ENVOY_LINE.exec(line);
  if (envoy === null) return diagnose(line);
  const entry = commonEntry(envoy);
  if (typeof entry === 'string') return entry;
  setPresent(entry, 'forwardedFor', envoy[6]);
  setPresent(entry, 'userAgent', envoy[7]);
  setPresent(entry, 'authority', envoy[8]);
  return entry;
}

/** One line of an Envoy or Istio text access log; see `toEnvoyEvent` for plane, principal and outcome. */
export const envoyParser: SourceParser = {
  id: 'envoy',
  summary:
    "Envoy text access log, Envoy's or Istio's default format (+ optional trailing %DOWNSTREAM_PEER_URI_SAN%); SPIFFE peer = east-west service; client.ip from %DOWNSTREAM_REMOTE_ADDRESS%, X-Forwarded-For resolved by the collector only when that peer is a trusted proxy; id = sha1 of the line",
  framing: 'line',
  parse(record): SourceResult {
    if (typeof record !== 'string') return refusedRecord('(line): must be a text line');
    const entry = entryOf(record);
    if (typeof entry === 'string') return refusedRecord(entry);
    return envoyResult(entry, recordId('envoy', record));
  },
};
