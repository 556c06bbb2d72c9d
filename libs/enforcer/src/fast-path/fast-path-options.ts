import { envReader } from '@ratchet/platform';
import type { EnforcerModuleOptions } from '../enforcer.module';
import { compileFailModes, FAIL_MODES } from './fail-mode';

export type FastPathOptions = Pick<EnforcerModuleOptions, 'failMode' | 'failModeRoutes' | 'subjectHeader' | 'extAuthzGrpc'>;

/**
 * The fast path's environment, shared by the enforcer service and the embedded shape:
 * - RATCHET_FAIL_MODE: open (default) | closed — when Redis cannot be reached.
 * - RATCHET_FAIL_MODE_ROUTES: `/admin=closed,/static=open`, longest prefix wins; default none.
 * - RATCHET_SUBJECT_HEADER: header with the verified JWT subject; default none.
 * - RATCHET_EXT_AUTHZ_GRPC_PORT: Envoy ext_authz gRPC port (0: any free one); default
 *   `grpcPortDefault` (the enforcer service: 9191; embedded: not served).
 * - RATCHET_EXT_AUTHZ_GRPC_HOST: its address; default 127.0.0.1.
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
  return {
    failMode,
    failModeRoutes,
    ...(subjectHeader === '' ? {} : { subjectHeader }),
    ...(port === undefined ? {} : { extAuthzGrpc: { host: read.string('RATCHET_EXT_AUTHZ_GRPC_HOST', '127.0.0.1'), port } }),
  };
}
