import { canonicalAddress, resolveClientAddress, type TrustedProxies } from '@ratchet/kernel';
import type { CheckRequest } from '@ratchet/chains';
import { checkRequest, headerValue, principalFromXfcc } from './check-request';
import { FAIL_MODE_HEADER, isFailMode, type FailMode } from './fail-mode';
import type { FastPathSettings } from './fast-path-settings';

type Headers = Readonly<Record<string, string | string[] | undefined>>;

/**
 * Reads a check from a proxy's HTTP sub-request. Client address, principal (XFCC), subject
 * and the fail-mode request are believed only from a trusted proxy; from anyone else the check
 * is about the peer itself, with no identity.
 */
export function readHttpCheck(
  peer: string,
  headers: Headers,
  request: { path: string; method: string },
  trusted: TrustedProxies,
  settings: FastPathSettings,
): { check: CheckRequest; requestedFailMode: FailMode | undefined } {
  const fromProxy = trusted.trusts(canonicalAddress(peer) ?? '');
  const requested = fromProxy ? headerValue(headers, FAIL_MODE_HEADER)?.toLowerCase() : undefined;
  return {
    check: checkRequest({
      clientIp: resolveClientAddress(peer, headers, trusted),
      path: request.path,
      method: request.method,
      principal: fromProxy ? principalFromXfcc(headers['x-forwarded-client-cert']) : undefined,
      subject: fromProxy && settings.subjectHeader ? headerValue(headers, settings.subjectHeader) : undefined,
      host: headerValue(headers, 'x-forwarded-host') ?? headerValue(headers, 'host'),
    }),
    requestedFailMode: isFailMode(requested) ? requested : undefined,
  };
}
