import { createHash, timingSafeEqual } from 'node:crypto';

/** The header (or gRPC metadata) a proxy sends the fast path's shared token in. */
export const CALLER_TOKEN_HEADER = 'x-ratchet-token';
/** Shortest token accepted: one guessable by trying is no authentication. */
export const MIN_CALLER_TOKEN_LENGTH = 16;

/**
 * Whether a caller of `/authz`, `/ext_authz/*` or the ext_authz gRPC Check presented the token:
 * always, when none is configured. Compared in constant time (both sides hashed to one length),
 * so how long a wrong guess took says nothing of the token.
 */
export function callerAuthenticated(expected: string | undefined, presented: string | string[] | undefined): boolean {
  if (expected === undefined) return true;
  if (typeof presented !== 'string') return false;
  return timingSafeEqual(digest(expected), digest(presented));
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
