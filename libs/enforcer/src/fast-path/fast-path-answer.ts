import type { Verdict } from '@ratchet/chains';

/** A verdict, or a refusal because Redis is unreachable on a fail-closed route. */
export type FastPathAnswer = Verdict | { outcome: 'unavailable'; reason: string };

/** One answer as HTTP: status and the headers that explain it to the proxy, the app and the user. */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
}

/**
 * Status and headers of an answer. `unavailableStatus`: 403 for NGINX `auth_request` (which
 * turns anything but 2xx/401/403 into a 500), 503 for Envoy `ext_authz`.
 * Step-up follows OAuth 2.0 Step Up Authentication (RFC 9470): `WWW-Authenticate: Bearer
 * error="insufficient_user_authentication"`, with `acr_values` when the decision names one.
 */
export function httpAnswer(answer: FastPathAnswer, unavailableStatus: 403 | 503): HttpAnswer {
  switch (answer.outcome) {
    case 'allow':
      return { status: 200, headers: { 'x-ratchet-decision': 'allow' } };
    case 'unavailable':
      return { status: unavailableStatus, headers: { 'x-ratchet-decision': 'unavailable', 'x-ratchet-reason': headerSafe(answer.reason), 'cache-control': 'no-store' } };
    case 'deny':
      return { status: 403, headers: explain('deny', answer.decision) };
    case 'rate-limit':
      return {
        status: 429,
        headers: { ...explain('rate-limit', answer.decision), 'retry-after': String(Math.max(1, Math.ceil(answer.retryAfterMs / 1_000))), 'x-ratchet-retry-after-ms': String(answer.retryAfterMs) },
      };
    case 'step-up': {
      const acr = answer.acr ? `, acr_values="${answer.acr.replace(/["\\]/g, '')}"` : '';
      return {
        status: 401,
        headers: {
          ...explain('step-up', answer.decision),
          'www-authenticate': `Bearer error="insufficient_user_authentication", error_description="A stronger or more recent authentication is required"${acr}`,
          'x-ratchet-step-up': answer.acr ?? 'required',
        },
      };
    }
  }
}

function explain(decision: string, action: Exclude<FastPathAnswer, { outcome: 'allow' | 'unavailable' }>['decision']): Record<string, string> {
  return {
    'x-ratchet-decision': decision,
    'x-ratchet-action': action.action,
    'x-ratchet-entity': headerSafe(action.entity),
    'x-ratchet-until': new Date(action.expiresAt).toISOString(),
    'x-ratchet-reason': headerSafe(`${action.reason.chain}/${action.reason.step}: ${action.reason.signalType}`),
    'cache-control': 'no-store',
  };
}

/** Header values must be visible ASCII: anything else (a Unicode subject, a newline) is percent-encoded. */
function headerSafe(value: string): string {
  return value.replace(/[^\x20-\x7e]/gu, (c) => encodeURIComponent(c));
}
