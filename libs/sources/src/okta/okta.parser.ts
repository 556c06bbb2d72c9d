import type { AuthAction, AuthEventInput, Fact, Outcome, PrincipalDto } from '@ratchet/contracts';
import { ignoredRecord, refusedRecord, type SourceParser, type SourceResult } from '../source-parser';
import { address, asnOf, asObject, clip, defined, factList, geoOf, isObject, isoTime, objectAt, text } from '../json/json-record';

/**
 * Okta System Log events, one per record: what `GET /api/v1/logs` returns, log streaming
 * (EventBridge, Splunk) and SIEM exports carry. Sign-ins, MFA, OAuth token grants, lockouts and
 * ThreatInsight become canonical events on the north-south plane; every other event type is
 * ignored and counted under its name.
 *
 * - Top-level keys are read case-insensitively: data-lake exports (Snowflake, Panther) lower-case
 *   column names (`eventtype`, `authenticationcontext`), nested keys keep Okta's spelling.
 * - `published` without an offset is read as UTC (Okta logs UTC; some exports drop the `Z`).
 * - The principal of a user event is the sign-in name (`actor.alternateId`, lower-cased: Okta
 *   logins are case-insensitive, so `Alice@x` and `alice@x` are one entity), else `actor.id`;
 *   an OAuth client or Okta itself acting is a service; an IP address acting (ThreatInsight) is
 *   no principal, and is the client when `client.ipAddress` is missing.
 * - The IdP asking for a second factor (push sent, sign-on policy CHALLENGE) is `mfa` /
 *   `challenge`; policy ALLOW is ignored (the session or SSO event that follows counts the login).
 * - An event hook delivery (`com.okta.event_hook`, several events under `data.events`) is an
 *   envelope: the collector opens it and parses each event; handed to `parse` itself, it is refused.
 *
 * Facts (see `FACTS`): `anonymizer` when `securityContext.isProxy` is true (Okta's own proxy / Tor
 * / anonymising-VPN verdict); `mfa-push-denied` for `user.mfa.okta_verify.deny_push` and a failed
 * push whose response (`pushOnlyResponseType`, `pushWithNumberChallengeResponseType`, `factorResult`)
 * says DENY or REJECT; `mfa-push-timeout` when it, or the failure reason, says the push timed out;
 * `mfa-fraud-reported` for `user.account.report_suspicious_activity_by_enduser` (the user answered
 * "this wasn't me"); `token-reuse` for `app.oauth2.token.detect_reuse` and its authorization-server
 * twin (a rotated refresh token presented again); `vendor-risk-high` when Okta's risk engine rated the request HIGH
 * (`debugData.risk` — `{level=HIGH, reasons=…}` — or `debugData.logOnlySecurityData.risk.level`,
 * object or JSON text), and for a ThreatInsight `security.threat.detected` — Okta naming the address
 * malicious, whether it blocked the request (DENY) or only logged it (SUCCESS, log-only mode) —
 * unless its `debugData.threatDetections` rates every detection below HIGH. Okta's behaviours (`New Device=POSITIVE` …) make no fact: Okta weighs them
 * into the risk level already, and Ratchet's own new-device / new-country detectors read the
 * fields; medium and high risk travel in `reason` (`risk high: Anomalous Device`).
 *
 * Fields: `client.geo` from `client.geographicalContext` — `country` is a name there (`United
 * States`), turned into ISO 3166-1 alpha-2 with a static table (CLDR and GeoIP spellings); a name
 * the table does not know leaves `country` out and keeps city and coordinates. `client.asn` from
 * `securityContext.asNumber` / `asOrg`; `client.deviceId` from `device.id`, `sessionId` from
 * `authenticationContext.externalSessionId`, `tokenId` from a `…Token` target.
 *
 * Required: `eventType`, a time (`published`, else `p_event_time` in a Panther data-lake row) and,
 * unless the event type fixes it, `outcome.result`; everything else is read when present, so
 * partial exports still count.
 */
export const oktaParser: SourceParser = {
  id: 'okta',
  summary: 'Okta System Log events (JSON): sign-ins, MFA, OAuth token grants, lockouts, ThreatInsight',
  framing: 'json',
  parse: parseOktaEvent,
  envelopes: [{ name: 'Okta event hook', records: 'data.events', when: { field: 'eventType', equals: 'com.okta.event_hook' } }],
};

/** How one Okta event type reads; a fixed `outcome` or `reason` overrides `outcome.result` / `outcome.reason`. */
interface EventTypeReading {
  action: AuthAction;
  outcome?: Outcome;
  reason?: string;
  method?: string;
  fact?: Fact;
}

const LOGIN: EventTypeReading = { action: 'login' };
const MFA: EventTypeReading = { action: 'mfa' };
const TOKEN: EventTypeReading = { action: 'token' };

const EVENT_TYPES: Readonly<Record<string, EventTypeReading>> = {
  'user.session.start': LOGIN,
  'user.authentication.sso': LOGIN,
  'user.authentication.authenticate': LOGIN,
  'user.authentication.verify': LOGIN, // an MFA step when the credential is not a password
  'user.authentication.auth_via_richclient': { action: 'login', method: 'rich_client' },
  'user.authentication.auth_via_IDP': LOGIN,
  'user.authentication.auth_via_social': LOGIN,
  'user.authentication.auth_via_inbound_SAML': LOGIN,
  'user.authentication.auth_via_AD_agent': LOGIN,
  'user.authentication.auth_via_LDAP_agent': LOGIN,
  'user.authentication.auth_via_radius': LOGIN,
  'user.authentication.auth_via_mfa': MFA,
  'user.mfa.okta_verify.deny_push': { action: 'mfa', outcome: 'failure', reason: 'push denied', method: 'okta_verify_push', fact: 'mfa-push-denied' },
  'user.account.report_suspicious_activity_by_enduser': {
    action: 'mfa',
    outcome: 'failure',
    reason: 'suspicious activity reported by user',
    fact: 'mfa-fraud-reported',
  },
  'user.mfa.attempt_bypass': { action: 'mfa', outcome: 'failure', reason: 'mfa bypass attempt' },
  'system.push.send_factor_verify_push': { action: 'mfa', outcome: 'challenge', reason: 'push sent', method: 'okta_verify_push' },
  'user.account.lock': { action: 'login', outcome: 'failure', reason: 'account locked' },
  'policy.evaluate_sign_on': LOGIN,
  'app.generic.unauth_app_access_attempt': { action: 'request', outcome: 'failure', reason: 'app not assigned' },
  'app.oauth2.token.detect_reuse': { action: 'token', outcome: 'failure', reason: 'refresh token reuse', fact: 'token-reuse' },
  'app.oauth2.as.token.detect_reuse': { action: 'token', outcome: 'failure', reason: 'refresh token reuse', fact: 'token-reuse' },
  'security.threat.detected': { action: 'request' },
};

/** Token grants: `app.oauth2.token.grant`, `app.oauth2.as.token.grant.access_token`, `….refresh_token` … */
const TOKEN_GRANT = /^app\.oauth2\.(as\.)?token\.grant(\.|$)/;

/** Okta's failure reasons in the words every Ratchet source uses. */
const REASONS: Readonly<Record<string, string>> = {
  INVALID_CREDENTIALS: 'invalid credentials',
  UNKNOWN_USER: 'unknown user',
  LOCKED_OUT: 'account locked',
  VERIFICATION_ERROR: 'verification error',
  PASSWORD_EXPIRED: 'password expired',
};

function readingOf(eventType: string): EventTypeReading | undefined {
  return EVENT_TYPES[eventType] ?? (TOKEN_GRANT.test(eventType) ? TOKEN : undefined);
}

function parseOktaEvent(record: unknown): SourceResult {
  if (!isObject(record)) return refusedRecord('(record): must be a JSON object');
  const field = topLevel(record);
  const eventType = field('eventType');
  if (eventType === 'com.okta.event_hook') {
    return refusedRecord('data.events: an event hook delivery holds several events; send them one per record');
  }
  if (typeof eventType !== 'string' || eventType === '') return refusedRecord('eventType: is required');
  const reading = readingOf(eventType);
  if (!reading) return ignoredRecord(`event type ${eventType}`);

  // A Panther data-lake row keeps the time it parsed in `p_event_time` when `published` was not kept.
  const [timeField, published] =
    field('published') !== undefined && field('published') !== null ? ['published', field('published')] : ['p_event_time', record['p_event_time']];
  if (published === undefined || published === null) return refusedRecord('published: is required');
  const time = typeof published === 'string' ? isoTime(published) : undefined;
  if (!time) return refusedRecord(`${timeField}: must be an ISO-8601 date-time`);

  const outcomeField = field('outcome');
  const result = isObject(outcomeField) ? text(outcomeField['result'])?.toUpperCase() : undefined;
  const vendorReason = isObject(outcomeField) ? text(outcomeField['reason']) : undefined;
  const debugData = objectAt(field('debugContext'), 'debugData');
  const authContext = asObject(field('authenticationContext'));
  const credential = text(authContext?.['credentialType']) ?? text(debugData?.['factor']);

  let action = reading.action;
  if (eventType === 'user.authentication.verify' && credential !== undefined && credential.toUpperCase() !== 'PASSWORD') action = 'mfa';

  let outcome: Outcome;
  let reason: string | undefined;
  let pushFact: Fact | undefined;
  if (reading.outcome) {
    outcome = reading.outcome;
    reason = reading.reason ?? readReason(vendorReason);
  } else {
    if (result === undefined) return refusedRecord('outcome.result: is required');
    switch (result) {
      case 'SUCCESS':
      case 'ALLOW':
        if (eventType === 'policy.evaluate_sign_on') return ignoredRecord('sign-on policy allowed');
        outcome = 'success';
        break;
      case 'FAILURE':
      case 'DENY':
        outcome = 'failure';
        break;
      case 'CHALLENGE':
        outcome = 'challenge';
        break;
      case 'SKIPPED':
      case 'UNKNOWN':
        return ignoredRecord(`${eventType} with outcome ${result}`);
      default:
        return refusedRecord('outcome.result: must be one of SUCCESS, FAILURE, ALLOW, DENY, CHALLENGE, SKIPPED, UNKNOWN');
    }
    reason = readReason(vendorReason);
    if (eventType === 'policy.evaluate_sign_on' && outcome === 'failure') reason = 'denied by sign-on policy';
    // The IdP asking for a second factor is an MFA prompt, whichever event type says so.
    if (eventType === 'policy.evaluate_sign_on' && outcome === 'challenge') [action, reason] = ['mfa', 'mfa required'];
    if (eventType === 'security.threat.detected') reason = `threat detected${vendorReason ? `: ${vendorReason}` : ''}`;
    if (action === 'mfa' && outcome === 'failure') {
      pushFact = pushVerdict(vendorReason, debugData);
      if (pushFact) reason = pushFact === 'mfa-push-denied' ? 'push denied' : 'push timeout';
    }
  }
  const risk = readRisk(debugData);
  if (risk && risk.level !== 'LOW') {
    const said = `risk ${risk.level.toLowerCase()}${risk.reasons ? `: ${risk.reasons}` : ''}`;
    reason = reason ? `${reason}; ${said}` : said;
  }
  if (text(debugData?.['threatSuspected'])?.toLowerCase() === 'true' && eventType !== 'security.threat.detected') {
    reason = reason ? `${reason}; threat suspected` : 'threat suspected';
  }

  const clientField = asObject(field('client'));
  const securityContext = asObject(field('securityContext'));
  const isProxy = securityContext?.['isProxy'];
  const geographical = objectAt(clientField, 'geographicalContext');
  const geolocation = objectAt(geographical, 'geolocation');
  const ip = address(clientField?.['ipAddress']) ?? actingAddress(asObject(field('actor')));
  if (ip === false) return refusedRecord('client.ipAddress: must be an IPv4 or IPv6 address');
  const targets = Array.isArray(field('target')) ? (field('target') as unknown[]).filter(isObject) : [];
  const app = targets.find((t) => t['type'] === 'AppInstance');
  const token = targets.find((t) => /token$/i.test(text(t['type']) ?? ''));
  const requestUri = text(debugData?.['requestUri']);

  const event: AuthEventInput = {
    time,
    source: { kind: 'okta' },
    plane: 'north-south',
    action,
    outcome,
  };
  const uuid = text(field('uuid'));
  if (uuid) event.id = clip(`okta:${uuid}`, 256);
  if (reason) event.reason = clip(reason, 512);
  const principal = readPrincipal(asObject(field('actor')));
  if (principal) event.principal = principal;
  const client = defined({
    ip,
    userAgent: clip(known(text(objectAt(clientField, 'userAgent')?.['rawUserAgent'])), 1024),
    deviceId: clip(known(text(asObject(field('device'))?.['id'])), 256),
    sessionId: clip(known(text(authContext?.['externalSessionId'])), 256),
    tokenId: clip(text(token?.['id']), 256),
    geo: geoOf({ country: geographical?.['country'], city: geographical?.['city'], lat: geolocation?.['lat'], lon: geolocation?.['lon'] }),
    asn: asnOf(securityContext?.['asNumber'], securityContext?.['asOrg']),
  });
  if (client) event.client = client;
  const target = defined({
    path: clip(requestUri?.split('?')[0], 4096),
    service: clip(text(app?.['displayName']) ?? text(app?.['alternateId']), 512),
  });
  if (target) event.target = target;
  const method = reading.method ?? credential?.toLowerCase();
  const auth = defined({ method: clip(method, 64), mfa: action === 'mfa' ? true : undefined });
  if (auth) event.auth = auth;
  const facts = factList(
    (isProxy === true || text(isProxy)?.toLowerCase() === 'true') && 'anonymizer',
    reading.fact,
    pushFact,
    (risk?.level === 'HIGH' || (eventType === 'security.threat.detected' && threatRatedHigh(debugData))) && 'vendor-risk-high',
  );
  if (facts) event.facts = facts;
  return { ok: true, events: [event] };
}

function readPrincipal(actor: Record<string, unknown> | undefined): PrincipalDto | undefined {
  if (!actor) return undefined;
  const type = text(actor['type']);
  const login = known(text(actor['alternateId']));
  const id = known(text(actor['id']));
  if (type === 'User') {
    const principalId = login?.toLowerCase() ?? id;
    return principalId ? { type: 'user', id: clip(principalId, 512) } : { type: 'anonymous' };
  }
  // OAuth clients (client-credentials grants) and Okta's own system principal.
  if (type === 'PublicClientApp' || type === 'AppInstance' || type === 'Client' || type === 'SystemPrincipal') {
    const principalId = id ?? login;
    return principalId ? { type: 'service', id: clip(principalId, 512) } : undefined;
  }
  return undefined;
}

/** ThreatInsight names the address as the actor (`type: IP address`); undefined when it is not a valid one. */
function actingAddress(actor: Record<string, unknown> | undefined): string | undefined {
  if (text(actor?.['type'])?.toLowerCase() !== 'ip address') return undefined;
  return address(actor?.['id']) || undefined;
}

/**
 * ThreatInsight's verdict: `threatDetections` is JSON text mapping each detection to a level
 * (`{"Password Spray":"HIGH","Login Failures":"MEDIUM"}`); high when one is HIGH, and when the
 * event lists none (the event itself is the verdict).
 */
function threatRatedHigh(debugData: Record<string, unknown> | undefined): boolean {
  const raw = debugData?.['threatDetections'];
  const detections = typeof raw === 'string' ? parseJsonObject(raw) : asObject(raw);
  const levels = detections ? Object.values(detections).map((level) => text(level)?.toUpperCase()) : [];
  return levels.length === 0 || levels.includes('HIGH');
}

function readReason(vendorReason: string | undefined): string | undefined {
  if (vendorReason === undefined) return undefined;
  return REASONS[vendorReason.toUpperCase()] ?? vendorReason;
}

/** Okta records a denied push as INVALID_CREDENTIALS with the push response in `debugData`. */
function pushVerdict(vendorReason: string | undefined, debugData: Record<string, unknown> | undefined): Fact | undefined {
  const responses = [debugData?.['pushOnlyResponseType'], debugData?.['pushWithNumberChallengeResponseType'], debugData?.['factorResult']]
    .map((v) => text(v)?.toUpperCase() ?? '')
    .join(' ');
  if (/DENY|REJECT/.test(responses)) return 'mfa-push-denied';
  if (/TIME_?OUT|TIMED[ _]OUT/.test(`${responses} ${vendorReason?.toUpperCase() ?? ''}`)) return 'mfa-push-timeout';
  return undefined;
}

interface OktaRisk {
  level: 'LOW' | 'MEDIUM' | 'HIGH';
  reasons?: string;
}

/**
 * Okta's risk verdict: `debugData.risk` as Okta writes it (`{reasons=Anomalous Device, level=HIGH}`,
 * a Java map's text) or as an object, else `debugData.logOnlySecurityData.risk` (JSON text or an
 * object: Okta logs it when the policy only records risk).
 */
function readRisk(debugData: Record<string, unknown> | undefined): OktaRisk | undefined {
  const logOnly = debugData?.['logOnlySecurityData'];
  const candidates = [debugData?.['risk'], objectAt(typeof logOnly === 'string' ? parseJsonObject(logOnly) : logOnly, 'risk')];
  for (const raw of candidates) {
    let level: string | undefined;
    let reasons: string | undefined;
    if (isObject(raw)) [level, reasons] = [text(raw['level']), text(raw['reasons'])];
    else if (typeof raw === 'string') {
      const parsed = parseJsonObject(raw);
      if (parsed) [level, reasons] = [text(parsed['level']), text(parsed['reasons'])];
      else [level, reasons] = [/\blevel=([A-Za-z]+)/.exec(raw)?.[1], /\breasons=([^}=]*?)(?:,\s*\w+=|\s*}|$)/.exec(raw)?.[1]?.trim() || undefined];
    }
    const upper = level?.toUpperCase();
    if (upper === 'LOW' || upper === 'MEDIUM' || upper === 'HIGH') return reasons ? { level: upper, reasons } : { level: upper };
  }
  return undefined;
}

function parseJsonObject(raw: string): Record<string, unknown> | undefined {
  if (!raw.trimStart().startsWith('{')) return undefined;
  try {
    return asObject(JSON.parse(raw));
  } catch {
    return undefined;
  }
}

/** Reads top-level keys as Okta spells them, or lower-cased as data-lake exports write them. */
function topLevel(record: Record<string, unknown>): (key: string) => unknown {
  return (key) => (key in record ? record[key] : record[key.toLowerCase()]);
}

// ---- reading JSON records ------------------------------------------------------------------

/** Okta writes `unknown` / `UNKNOWN` where it has no value. */
function known(value: string | undefined): string | undefined {
  return value === undefined || value.toLowerCase() === 'unknown' ? undefined : value;
}

