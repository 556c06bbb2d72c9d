import { createHash, timingSafeEqual } from 'node:crypto';

/** The header (or gRPC metadata) a proxy sends the fast path's shared token in. */
export const CALLER_TOKEN_HEADER = 'x-ratchet-token';
/** Shortest token accepted: one guessable by trying is no authentication. */
export const MIN_CALLER_TOKEN_LENGTH = 16;

/** Whether a caller of the fast path presented the token. */
export type CallerCheck = (presented: string | string[] | undefined) => boolean;

/**
 * The check for callers of `/authz`, `/ext_authz/*` and the ext_authz gRPC Check: everyone passes
 * when no token is configured. Compared in constant time (both sides hashed to one length), so how
 * long a wrong guess took says nothing of the token; the token's own digest is computed once here,
 * not on every request.
 */
export function callerCheck(expected: string | undefined): CallerCheck {
  if (expected === undefined) return () => true;
  const wanted = digest(expected);
  return (presented) => typeof presented === 'string' && timingSafeEqual(wanted, digest(presented));
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
