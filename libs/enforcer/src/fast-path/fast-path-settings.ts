import type { FailModePolicy } from './fail-mode';

export const FAST_PATH_SETTINGS = Symbol.for('ratchet.FastPathSettings');

/** How the enforcer reads per-request checks; compiled once at start-up. */
export interface FastPathSettings {
  failModes: FailModePolicy;
  /**
   * A request header holding the verified JWT subject, set by the proxy after it checked the
   * token (NGINX `auth_jwt` + `proxy_set_header`, Envoy `jwt_authn` `claim_to_headers`);
   * believed from trusted proxies only. Undefined: no subject from headers.
   */
  subjectHeader?: string;
  /** Envoy `ext_authz` gRPC: where `envoy.service.auth.v3.Authorization/Check` listens; undefined: not served. */
  grpc?: ExtAuthzGrpcSettings;
  /**
   * A secret every caller of the fast path must send in `X-Ratchet-Token` (gRPC: that metadata),
   * so that only the proxies, not any workload that reaches the port, learn what is refused or
   * spend an entity's rate limit. Undefined: callers are not authenticated.
   */
  callerToken?: string;
}

/** Where the ext_authz gRPC server listens and how much an unfinished request may hold of it. */
export interface ExtAuthzGrpcSettings {
  host: string;
  port: number;
  /**
   * Time from a call's headers to the end of its message; past it the call is refused with
   * DEADLINE_EXCEEDED and reset, so a peer that never ends a stream holds no slot or memory.
   * Envoy sends the whole request at once (its own ext_authz timeout is 200 ms by default).
   * Default 2,000 ms.
   */
  readTimeoutMs?: number;
  /**
   * Bytes of unfinished request messages held at once, over every connection: past it a call is
   * refused with RESOURCE_EXHAUSTED rather than buffered. Default 64 MiB.
   */
  maxBufferedBytes?: number;
  /**
   * A connection with no traffic for this long is closed (GOAWAY), so idle sockets cannot pile up;
   * Envoy reconnects on its next check. Default 300,000 ms (5 min).
   */
  idleTimeoutMs?: number;
}
