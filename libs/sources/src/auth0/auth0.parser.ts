import type { AuthAction, AuthEventInput, Fact, Outcome, Plane, PrincipalDto } from '@ratchet/contracts';
import { ignoredRecord, refusedRecord, type SourceParser, type SourceResult } from '../source-parser';
import { address, clip, defined, factList, geoOf, isObject, isoTime, objectAt, text } from '../json/json-record';

/**
 * Auth0 tenant log events, one per record: what `GET /api/v2/logs` returns, or a log stream
 * entry (`{ log_id, data: {...} }`, as the custom webhook, EventBridge and Event Grid streams
 * deliver them). The `type` code decides the reading; codes that are not about authentication
 * (sign-ups, password changes, deploys …) are ignored and counted under their code.
 *
 * - Logins (`s`, `f`, `fp`, `fu`, cross-origin, breached password, brute-force blocks) and the
 *   password grant (`sepft` / `fepft`: a password was checked) are `login`; code and token
 *   exchanges and silent authentication that succeeded (`ssa`) are `token`; Guardian factors and
 *   the MFA grants (`gd_*`, `seotpft` …, `fercft`) are `mfa`. A failed silent authentication
 *   (`fsa`, usually `login_required`) is ignored: it is a missing session, not an attempt.
 * - Management API operations (`sapi`, `fapi`, `mgmt_api_read`) are `api` on the `control`
 *   plane, as Keycloak admin events are: changes to the IdP's own configuration.
 * - The user principal is the typed sign-in name (`user_name`, lower-cased: Auth0 matches emails
 *   and usernames case-insensitively), else `user_id`; a client-credentials grant is the client
 *   (`client_id`) as a service.
 * - `date` without an offset is read as UTC. `source.name` is the tenant (`tenant_name`).
 *
 * Facts: `token-reuse` for `ferrt` (a rotated refresh token presented again); `mfa-push-denied`
 * for `gd_auth_rejected` (the user rejected a Guardian push); `vendor-risk-high` when Adaptive
 * MFA's `details.riskAssessment.confidence` is `low` (Auth0 rates confidence that the login is
 * the user's, so low confidence is high risk). Guardian has no push-timeout or fraud-report code.
 * Fields: `client.geo` from `location_info` (`country_code`, `city_name`, `latitude`,
 * `longitude`), `client.userAgent` from `user_agent`, `target.service` the application
 * (`client_name`, else `client_id`).
 *
 * Required: `type`, `date` (else `p_event_time` of a Panther data-lake row). `ip` and the rest
 * are read when present.
 */
export const auth0Parser: SourceParser = {
  id: 'auth0',
  summary: 'Auth0 tenant log events (JSON, log streams or the Management API): logins, MFA, token exchanges, admin operations',
  framing: 'json',
  parse: parseAuth0Log,
};

type PrincipalSource = 'user' | 'client' | 'admin';

/** How one log type code reads; without `reason`, a failure takes the log's `description`. */
interface TypeReading {
  action: AuthAction;
  outcome: Outcome;
  reason?: string;
  method?: string;
  principal?: PrincipalSource;
  fact?: Fact;
}

const ok = (action: AuthAction, extra: Partial<TypeReading> = {}): TypeReading => ({ action, outcome: 'success', ...extra });
const failed = (action: AuthAction, extra: Partial<TypeReading> = {}): TypeReading => ({ action, outcome: 'failure', ...extra });
const challenged = (reason: string, method?: string): TypeReading => ({ action: 'mfa', outcome: 'challenge', reason, ...(method ? { method } : {}) });

const LOG_TYPES: Readonly<Record<string, TypeReading>> = {
  s: ok('login'),
  f: failed('login'),
  fp: failed('login', { reason: 'invalid credentials' }),
  fu: failed('login', { reason: 'unknown user' }),
  fc: failed('login'),
  fco: failed('login', { reason: 'origin not allowed' }),
  scoa: ok('login'),
  fcoa: failed('login'),
  pwd_leak: failed('login', { reason: 'breached password' }),
  limit_wc: failed('login', { reason: 'ip blocked' }),
  limit_mu: failed('login', { reason: 'ip blocked' }),
  limit_sul: failed('login', { reason: 'user rate limited' }),
  sepft: ok('login', { method: 'password_grant' }),
  fepft: failed('login', { method: 'password_grant' }),
  sepotpft: ok('login', { method: 'passwordless_otp' }),
  fepotpft: failed('login', { method: 'passwordless_otp' }),

  seacft: ok('token'),
  feacft: failed('token'),
  sertft: ok('token', { method: 'refresh_token' }),
  fertft: failed('token', { method: 'refresh_token' }),
  ferrt: failed('token', { reason: 'refresh token reuse', method: 'refresh_token', fact: 'token-reuse' }),
  seccft: ok('token', { principal: 'client', method: 'client_credentials' }),
  feccft: failed('token', { principal: 'client', method: 'client_credentials' }),
  sede: ok('token', { method: 'device_code' }),
  fede: failed('token', { method: 'device_code' }),
  sens: ok('token', { method: 'native_social' }),
  fens: failed('token', { method: 'native_social' }),
  secte: ok('token', { method: 'custom_token_exchange' }),
  fecte: failed('token', { method: 'custom_token_exchange' }),
  ciba_exchange_succeeded: ok('token', { method: 'ciba' }),
  ciba_exchange_failed: failed('token', { method: 'ciba' }),
  ssa: ok('token', { method: 'silent_authentication' }),

  gd_auth_succeed: ok('mfa'),
  gd_auth_failed: failed('mfa', { reason: 'mfa failed' }),
  gd_auth_rejected: failed('mfa', { reason: 'push denied', method: 'push', fact: 'mfa-push-denied' }),
  gd_auth_fail_email_verification: failed('mfa', { reason: 'mfa failed', method: 'email' }),
  gd_otp_rate_limit_exceed: failed('mfa', { reason: 'too many mfa attempts', method: 'otp' }),
  gd_recovery_succeed: ok('mfa', { method: 'recovery_code' }),
  gd_recovery_failed: failed('mfa', { reason: 'invalid recovery code', method: 'recovery_code' }),
  gd_recovery_rate_limit_exceed: failed('mfa', { reason: 'too many mfa attempts', method: 'recovery_code' }),
  gd_webauthn_challenge_failed: failed('mfa', { reason: 'mfa failed', method: 'webauthn' }),
  gd_send_pn: challenged('push sent', 'push'),
  gd_send_sms: challenged('sms sent', 'sms'),
  gd_send_voice: challenged('voice call sent', 'voice'),
  gd_send_email: challenged('email sent', 'email'),
  mfar: challenged('mfa required'),
  seotpft: ok('mfa', { method: 'otp' }),
  feotpft: failed('mfa', { reason: 'mfa failed', method: 'otp' }),
  seoobft: ok('mfa', { method: 'oob' }),
  feoobft: failed('mfa', { reason: 'mfa failed', method: 'oob' }),
  sercft: ok('mfa', { method: 'recovery_code' }),
  fercft: failed('mfa', { reason: 'invalid recovery code', method: 'recovery_code' }),

  sapi: ok('api', { principal: 'admin' }),
  fapi: failed('api', { principal: 'admin' }),
  mgmt_api_read: ok('api', { principal: 'admin' }),
};

/** Codes that look like authentication but are ignored on purpose, with what they are. */
const IGNORED_TYPES: Readonly<Record<string, string>> = {
  fsa: 'failed silent authentication',
  pla: 'pre-login assessment',
  w: 'login warning',
  signup_pwd_leak: 'breached password at sign-up',
  reset_pwd_leak: 'breached password at password reset',
  gd_enrollment_complete: 'mfa enrolment',
  gd_start_enroll: 'mfa enrolment',
  gd_unenroll: 'mfa removal',
};

function parseAuth0Log(record: unknown): SourceResult {
  if (!isObject(record)) return refusedRecord('(record): must be a JSON object');
  // A log stream entry wraps the log event in `data`; `GET /api/v2/logs` returns it bare.
  const wrapped = isObject(record['data']) && record['type'] === undefined;
  const log = wrapped ? (record['data'] as Record<string, unknown>) : record;
  const at = (name: string) => (wrapped ? `data.${name}` : name);

  const type = text(log['type']);
  if (!type) return refusedRecord(`${at('type')}: is required`);
  const reading = LOG_TYPES[type];
  if (!reading) return ignoredRecord(IGNORED_TYPES[type] ?? `log type ${type}`);

  // A Panther data-lake row keeps the time it parsed in `p_event_time` when `date` was not kept.
  const [dateField, rawDate] = log['date'] !== undefined && log['date'] !== null ? [at('date'), log['date']] : ['p_event_time', record['p_event_time']];
  if (rawDate === undefined || rawDate === null) return refusedRecord(`${at('date')}: is required`);
  const time = typeof rawDate === 'string' ? isoTime(rawDate) : undefined;
  if (!time) return refusedRecord(`${dateField}: must be an ISO-8601 date-time`);

  const ip = address(log['ip']);
  if (ip === false) return refusedRecord(`${at('ip')}: must be an IPv4 or IPv6 address`);

  const plane: Plane = reading.action === 'api' ? 'control' : 'north-south';
  const event: AuthEventInput = { time, source: { kind: 'auth0' }, plane, action: reading.action, outcome: reading.outcome };
  const tenant = text(log['tenant_name']);
  if (tenant) event.source.name = clip(tenant, 256);
  const logId = text(log['log_id']) ?? text(record['log_id']) ?? text(log['_id']);
  if (logId) event.id = clip(`auth0:${logId}`, 256);
  // A failure says why; an admin operation says what it did (`Update Brute-force settings`).
  const reason =
    reading.outcome === 'success' && reading.action !== 'api' ? undefined : (reading.reason ?? text(log['description']) ?? `log type ${type}`);
  if (reason) event.reason = clip(reason, 512);
  const principal = readPrincipal(log, reading.principal ?? 'user');
  if (principal) event.principal = principal;

  const request = objectAt(log['details'], 'request');
  const location = objectAt(log, 'location_info');
  const client = defined({
    ip,
    userAgent: clip(text(log['user_agent']), 1024),
    geo: location
      ? geoOf({ country: location['country_code'], city: location['city_name'], lat: location['latitude'], lon: location['longitude'] })
      : undefined,
  });
  if (client) event.client = client;
  const target = defined({
    host: clip(text(log['hostname']), 512),
    path: reading.action === 'api' ? clip(text(request?.['path']), 4096) : undefined,
    method: reading.action === 'api' ? clip(text(request?.['method'])?.toUpperCase(), 16) : undefined,
    service: reading.action === 'api' ? undefined : clip(text(log['client_name']) ?? text(log['client_id']), 512),
  });
  if (target) event.target = target;
  const auth = defined({
    method: clip(reading.method ?? text(log['strategy']), 64),
    mfa: reading.action === 'mfa' ? true : undefined,
  });
  if (auth) event.auth = auth;
  const confidence = text(objectAt(log['details'], 'riskAssessment')?.['confidence'])?.toLowerCase();
  const facts = factList(reading.fact, confidence === 'low' && 'vendor-risk-high');
  if (facts) event.facts = facts;
  return { ok: true, events: [event] };
}

function readPrincipal(log: Record<string, unknown>, from: PrincipalSource): PrincipalDto | undefined {
  const clientId = text(log['client_id']) ?? text(log['client_name']);
  if (from === 'client') return clientId ? { type: 'service', id: clip(clientId, 512) } : undefined;
  if (from === 'admin') {
    // A dashboard admin acts as a user; a machine-to-machine client calling the Management API as itself.
    const admin = objectAt(objectAt(objectAt(log['details'], 'request'), 'auth'), 'user');
    const id = text(admin?.['email'])?.toLowerCase() ?? text(admin?.['user_id']) ?? text(log['user_id']);
    if (id) return { type: 'user', id: clip(id, 512) };
    return clientId ? { type: 'service', id: clip(clientId, 512) } : undefined;
  }
  const id = text(log['user_name'])?.toLowerCase() ?? text(log['user_id']);
  return id ? { type: 'user', id: clip(id, 512) } : undefined;
}

// ---- reading JSON records ------------------------------------------------------------------

