import { AppError } from '@ratchet/kernel';
import { pathOf, underPrefix } from '@ratchet/chains';

/**
 * What the fast path answers when Redis (decision store, rate-limit buckets) cannot be reached:
 * `open` answers from the decisions it last knew and skips rate limits; `closed` refuses.
 */
export type FailMode = 'open' | 'closed';
export const FAIL_MODES: readonly FailMode[] = ['open', 'closed'];

/** Request header asking for a stricter fail mode than the route's (trusted from the proxy only). */
export const FAIL_MODE_HEADER = 'x-ratchet-fail-mode';

export class InvalidFailMode extends AppError {
  constructor(field: string, problem: string) {
    super('ENFORCER.INVALID_FAIL_MODE', `${field}: ${problem}`);
  }
}

/** The default and the per-path-prefix overrides, longest prefix first. */
export interface FailModePolicy {
  readonly fallback: FailMode;
  readonly routes: ReadonlyArray<{ prefix: string; mode: FailMode }>;
}

/**
 * Compiles `RATCHET_FAIL_MODE` and `RATCHET_FAIL_MODE_ROUTES` entries (`/admin=closed`); throws
 * naming the entry when one is not `<path prefix>=open|closed`.
 */
export function compileFailModes(fallback: FailMode, routes: readonly string[], field = 'RATCHET_FAIL_MODE_ROUTES'): FailModePolicy {
  const compiled = routes.map((entry) => {
    const at = entry.lastIndexOf('=');
    const prefix = entry.slice(0, at).trim();
    const mode = entry.slice(at + 1).trim();
    if (at < 0 || !prefix.startsWith('/')) throw new InvalidFailMode(field, `"${entry}" must be <path prefix starting with />=open|closed`);
    if (!isFailMode(mode)) throw new InvalidFailMode(field, `"${entry}": mode must be open or closed, not "${mode}"`);
    return { prefix: prefix.length > 1 && prefix.endsWith('/') ? prefix.slice(0, -1) : prefix, mode };
  });
  return { fallback, routes: compiled.sort((a, b) => b.prefix.length - a.prefix.length) };
}

export function isFailMode(value: string | undefined): value is FailMode {
  return value === 'open' || value === 'closed';
}

/**
 * The fail mode of one request. `trusted` comes from configuration the client cannot touch
 * (Envoy's per-route `context_extensions`) and replaces the path rule; `requested` comes from a
 * header a client could also send (`X-Ratchet-Fail-Mode`), so it may only make a route stricter.
 */
export function failModeFor(policy: FailModePolicy, rawPath: string, { trusted, requested }: { trusted?: FailMode | undefined; requested?: FailMode | undefined } = {}): FailMode {
  const path = pathOf(rawPath);
  const configured = trusted ?? policy.routes.find((r) => underPrefix(path, r.prefix))?.mode ?? policy.fallback;
  return requested === 'closed' ? 'closed' : configured;
}
