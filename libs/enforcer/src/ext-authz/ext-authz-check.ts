import type { CheckRequest } from '@ratchet/chains';
import { canonicalAddress } from '@ratchet/kernel';
import { checkRequest } from '../fast-path/check-request';
import type { FastPathAnswer } from '../fast-path/fast-path-answer';
import { httpAnswer } from '../fast-path/fast-path-answer';
import { FAIL_MODE_HEADER, isFailMode, type FailMode } from '../fast-path/fail-mode';
import type { ProtoCheckRequest, ProtoCheckResponse, ProtoMetadata } from './ext-authz-messages';
import { JWT_AUTHN_FILTER } from './ext-authz-protobuf';

/** Per-route `context_extensions` key that sets a route's fail mode (`open` | `closed`). */
export const FAIL_MODE_EXTENSION = 'ratchet-fail-mode';

/** gRPC status codes (google.rpc.Code) Envoy reads from a CheckResponse. */
const GRPC = { OK: 0, PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8, UNAVAILABLE: 14, UNAUTHENTICATED: 16 } as const;

export interface ExtAuthzCheck {
  check: CheckRequest;
  /** From the route's `context_extensions`: configuration, believed as is. */
  routeFailMode: FailMode | undefined;
  /** From an `x-ratchet-fail-mode` request header: may only make the route stricter. */
  requestedFailMode: FailMode | undefined;
}

/**
 * Reads an Envoy CheckRequest: the address from `source.address.socket_address`, the mTLS
 * principal from `source.principal` (Envoy fills it from the peer certificate's URI SAN), the
 * subject from `jwt_authn` metadata or `subjectHeader`, the path (query and all) from the HTTP
 * request. Missing fields leave the check about less, never fail it.
 */
export function readExtAuthzCheck(request: ProtoCheckRequest, subjectHeader: string | undefined): ExtAuthzCheck {
  const attributes = request.attributes ?? {};
  const http = attributes.request?.http ?? {};
  const headers = http.headers ?? {};
  const rawAddress = attributes.source?.address?.socket_address?.address ?? '';
  const routeMode = attributes.context_extensions?.[FAIL_MODE_EXTENSION];
  const requested = headers[FAIL_MODE_HEADER]?.toLowerCase();
  return {
    check: checkRequest({
      clientIp: canonicalAddress(rawAddress) ?? rawAddress,
      path: http.path || '/',
      method: http.method || 'GET',
      principal: attributes.source?.principal,
      subject: jwtSubject(attributes.metadata_context) ?? (subjectHeader ? headers[subjectHeader.toLowerCase()] : undefined),
      host: http.host,
    }),
    routeFailMode: isFailMode(routeMode) ? routeMode : undefined,
    requestedFailMode: isFailMode(requested) ? requested : undefined,
  };
}

/** The `sub` claim of any payload the JWT filter stored (`payload_in_metadata: <name>`). */
function jwtSubject(metadata: ProtoMetadata | undefined): string | undefined {
  const jwt = metadata?.filter_metadata?.[JWT_AUTHN_FILTER]?.fields ?? {};
  for (const payload of Object.values(jwt)) {
    const sub = payload.structValue?.fields?.['sub']?.stringValue;
    if (sub) return sub;
  }
  return undefined;
}

/** An answer as a CheckResponse: OK, or a denial carrying the HTTP status and `X-Ratchet-*` headers Envoy sends back. */
export function extAuthzResponse(answer: FastPathAnswer): ProtoCheckResponse {
  const { status, headers } = httpAnswer(answer, 503);
  if (status === 200) return { status: { code: GRPC.OK }, ok_response: { headers: [] } };
  const code = status === 401 ? GRPC.UNAUTHENTICATED : status === 429 ? GRPC.RESOURCE_EXHAUSTED : status === 503 ? GRPC.UNAVAILABLE : GRPC.PERMISSION_DENIED;
  return {
    status: { code, message: headers['x-ratchet-reason'] ?? answer.outcome },
    denied_response: { status: { code: status }, headers: Object.entries(headers).map(([key, value]) => ({ header: { key, value } })), body: '' },
  };
}
