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
  grpc?: { host: string; port: number };
}
