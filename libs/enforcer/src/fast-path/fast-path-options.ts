import { envReader } from '@ratchet/platform';
import type { EnforcerModuleOptions } from '../enforcer.module';
import { MIN_CALLER_TOKEN_LENGTH } from './caller-token';
import { compileFailModes, FAIL_MODES } from './fail-mode';

export type FastPathOptions = Pick<EnforcerModuleOptions, 'failMode' | 'failModeRoutes' | 'subjectHeader' | 'extAuthzGrpc' | 'callerToken'>;

/**
 * The fast path's environment, shared by the enforcer service and the embedded shape:
 * - RATCHET_FAIL_MODE: open (default) | closed — when Redis cannot be reached.
 * - RATCHET_FAIL_MODE_ROUTES: `/admin=closed,/static=open`, longest prefix wins; default none.
 * - RATCHET_SUBJECT_HEADER: header with the verified JWT subject; default none.
 * - RATCHET_EXT_AUTHZ_GRPC_PORT: Envoy ext_authz gRPC port (0: any free one); default
 *   `grpcPortDefault` (the enforcer service: 9191; embedded: not served).
 * - RATCHET_EXT_AUTHZ_GRPC_HOST: its address; default 127.0.0.1.
 * - RATCHET_FAST_PATH_TOKEN: a secret (16 characters or more) callers send in `X-Ratchet-Token`;
 *   default none (callers not authenticated). From a Kubernetes Secret, as an env var.
 * Validated here so a bad value stops start-up naming the variable.
 */
export function readFastPathOptions(env: Readonly<Record<string, string | undefined>>, grpcPortDefault: number | undefined): FastPathOptions {
  const read = envReader(env);
  const failMode = read.oneOf('RATCHET_FAIL_MODE', FAIL_MODES, 'open');
  const failModeRoutes = read.list('RATCHET_FAIL_MODE_ROUTES', []);
  compileFailModes(failMode, failModeRoutes, 'RATCHET_FAIL_MODE_ROUTES');
  const subjectHeader = read.string('RATCHET_SUBJECT_HEADER', '');
  const portSet = (env['RATCHET_EXT_AUTHZ_GRPC_PORT'] ?? '').trim() !== '';
  const port = portSet ? read.int('RATCHET_EXT_AUTHZ_GRPC_PORT', 0, { max: 65_535 }) : grpcPortDefault;
  const callerToken = env['RATCHET_FAST_PATH_TOKEN'] ?? '';
  if (callerToken !== '' && callerToken.length < MIN_CALLER_TOKEN_LENGTH) {
    throw new Error(`RATCHET_FAST_PATH_TOKEN: is ${callerToken.length} characters; a caller token needs ${MIN_CALLER_TOKEN_LENGTH} or more`);
  }
  return {
    ...(callerToken === '' ? {} : { callerToken }),
    failMode,
    failModeRoutes,
    ...(subjectHeader === '' ? {} : { subjectHeader }),
    ...(port === undefined ? {} : { extAuthzGrpc: { host: read.string('RATCHET_EXT_AUTHZ_GRPC_HOST', '127.0.0.1'), port } }),
  };
}
