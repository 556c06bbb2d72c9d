import { refusedRecord, type SourceParser, type SourceResult } from '../source-parser';
import { isHttpMethod, recordId } from '../http/http-access';
import { checkIsoTime } from '../http/http-time';
import { envoyResult, envoyValue, type EnvoyEntry } from './envoy-access';

type JsonRecord = Readonly<Record<string, unknown>>;
type TextField = Exclude<keyof EnvoyEntry, 'responseCode' | 'startTime' | 'method'>;

/**
 * Where each field is found: Istio's JSON keys first (`meshConfig.accessLogEncoding: JSON`), then the
 * header-named keys of Envoy Gateway's default JSON format (`:authority`, `user-agent`, `x-envoy-origin-path`).
 */
const KEYS: readonly [TextField, readonly string[]][] = [
  ['path', ['path', 'x-envoy-origin-path', ':path']],
  ['responseFlags', ['response_flags']],
  ['responseCodeDetails', ['response_code_details']],
  ['connectionTerminationDetails', ['connection_termination_details']],
  ['upstreamTransportFailureReason', ['upstream_transport_failure_reason']],
  ['downstreamTransportFailureReason', ['downstream_transport_failure_reason']],
  ['userAgent', ['user_agent', 'user-agent']],
  ['authority', ['authority', ':authority']],
  ['upstreamCluster', ['upstream_cluster']],
  ['downstreamRemoteAddress', ['downstream_remote_address']],
  ['requestedServerName', ['requested_server_name']],
  ['downstreamPeerUriSan', ['downstream_peer_uri_san']],
  ['forwardedFor', ['x_forwarded_for', 'x-forwarded-for']],
];

function first(record: JsonRecord, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const value = envoyValue(record[key]);
    if (value !== undefined) return value;
  }
  return undefined;
}

/**
 * One Istio or Envoy Gateway JSON access-log record. `start_time` and `response_code` are required;
 * the rest is read when present (null and `-` mean absent). Same decisions as `envoy`.
 */
export const envoyJsonParser: SourceParser = {
  id: 'envoy-json',
  summary:
    'Envoy JSON access log with Istio keys (start_time, method, path, response_code, response_flags, downstream_remote_address, upstream_cluster, downstream_peer_uri_san …) or Envoy Gateway keys (:authority, user-agent, x-envoy-origin-path); id = sha1 of the record',
  framing: 'json',
  parse(record): SourceResult {
    if (typeof record !== 'object' || record === null || Array.isArray(record)) return refusedRecord('(record): must be a JSON object');
    const fields = record as JsonRecord;

    const rawTime = envoyValue(fields['start_time']);
    if (rawTime === undefined) return refusedRecord('start_time: is required');
    const startTime = checkIsoTime(rawTime);
    if (startTime === undefined) return refusedRecord('start_time: not an ISO-8601 date-time with offset');

    const code = envoyValue(fields['response_code']);
    if (code === undefined) return refusedRecord('response_code: is required');
    if (!/^\d{1,3}$/.test(code)) return refusedRecord('response_code: not an HTTP status (0 when there was no response)');

    const entry: EnvoyEntry = { startTime, responseCode: +code };
    const method = first(fields, ['method', ':method']);
    if (method !== undefined && isHttpMethod(method)) entry.method = method;
    for (const [field, keys] of KEYS) {
      const value = first(fields, keys);
      if (value !== undefined) entry[field] = value;
    }
    return envoyResult(entry, recordId('envoy-json', JSON.stringify(record)));
  },
};
