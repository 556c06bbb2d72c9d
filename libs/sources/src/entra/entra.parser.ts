import type { AuthAction, AuthEventInput, Fact, Outcome, PrincipalDto } from '@ratchet/contracts';
import { ignoredRecord, refusedRecord, type SourceParser, type SourceResult } from '../source-parser';
import { address, asnOf, asObject, clip, defined, factList, geoOf, isObject, isoTime, objectAt, text } from '../json/json-record';

/**
 * Microsoft Entra ID (Azure AD) sign-ins, one per record, in either shape Microsoft ships:
 * - the Microsoft Graph `signIn` resource (`GET /auditLogs/signIns`, v1.0 and beta);
 * - an Azure Monitor resource log (diagnostic settings → Event Hub, storage, Log Analytics export):
 *   `time`, `category`, `operationName: "Sign-in activity"`, `callerIpAddress`, `resultType`, and the
 *   same sign-in under `properties`. Top-level keys are read case-insensitively (Azure writes
 *   `callerIpAddress` or `calleripaddress` depending on the route). Other categories (`AuditLogs`,
 *   `ProvisioningLogs` …) are ignored and counted under their category.
 *
 * - Interactive user sign-ins are `login`; non-interactive ones (a client redeeming a refresh
 *   token for the user) and service principal / managed identity sign-ins are `token`. The
 *   category decides for Azure Monitor records, `isInteractive` / `signInEventTypes` for Graph.
 * - `status.errorCode` 0 is success. The IdP asking for a second factor (50074 "strong
 *   authentication required", 50076 "MFA required by policy or location", 50072 / 50079
 *   "registration required") is `mfa` / `challenge` — a prompt, not a failure; a failed second
 *   factor (500121) is `mfa` / `failure`, read from `status.additionalDetails` and the MFA steps'
 *   `authenticationStepResultDetail`: "MFA denied; user declined the authentication" → `push
 *   denied` (fact `mfa-push-denied`), "… did not respond to mobile app notification" → `push
 *   timeout` (`mfa-push-timeout`), "… Phone App Reported Fraud" / "user reported fraud" → `fraud
 *   reported` (`mfa-push-denied` and `mfa-fraud-reported`: reporting is denying, and more); sign-in interrupts (50058, 50140, 50097,
 *   50125) are `login` / `challenge`; every other code is a failure, with Ratchet's words for the
 *   common ones (`invalid credentials`, `account locked` …) and Microsoft's text for the rest.
 * - A user principal is the UPN (lower-cased: UPNs are case-insensitive), else the object id; a
 *   service principal is its object id, else its app id.
 * - Medium and high sign-in risk, as Entra computed it, travels in `reason` (`risk high: anonymizedIPAddress`).
 *   Facts: `anonymizer` when `riskEventTypes_v2` / `riskEventTypes` holds `anonymizedIPAddress`
 *   (Identity Protection saw Tor or an anonymising VPN), at any risk level; `vendor-risk-high` when
 *   `riskLevelDuringSignIn` or `riskLevelAggregated` is `high` (`hidden`, without an Entra ID P2
 *   licence, reads as unknown) and `riskState` is not `dismissed` / `confirmedSafe`.
 * - `client.geo` from `location`: `countryOrRegion` (already ISO alpha-2), `city`,
 *   `geoCoordinates.latitude` / `longitude`; `client.asn` from `autonomousSystemNumber` (Azure
 *   Monitor records; Graph has no such field).
 * - The id is the sign-in's own `id`; without one, `correlationId` + time + error code (one
 *   correlation id spans every step of a sign-in flow, so alone it would merge them).
 * - A Graph page (`value: [...]`) or an Event Hub batch (`records: [...]`) is an envelope: the
 *   collector opens it and parses each entry; handed to `parse` itself, it is refused.
 */
export const entraParser: SourceParser = {
  id: 'entra',
  summary: 'Microsoft Entra ID sign-in logs (JSON): Graph signIn resources and Azure Monitor SignInLogs records',
  framing: 'json',
  parse: parseEntraSignIn,
  envelopes: [
    { name: 'Microsoft Graph page', records: 'value' },
    { name: 'Azure diagnostic settings batch', records: 'records' },
  ],
};

type SignInKind = 'interactive' | 'non-interactive' | 'service';

const SIGN_IN_CATEGORIES: Readonly<Record<string, SignInKind>> = {
  signinlogs: 'interactive',
  noninteractiveusersigninlogs: 'non-interactive',
  serviceprincipalsigninlogs: 'service',
  managedidentitysigninlogs: 'service',
};

interface ErrorReading {
  action?: AuthAction;
  outcome: Outcome;
  reason: string;
}

/** Entra error codes Ratchet names; every other non-zero code is a failure with Microsoft's text. */
const ERROR_CODES: Readonly<Record<number, ErrorReading>> = {
  50126: { outcome: 'failure', reason: 'invalid credentials' },
  50034: { outcome: 'failure', reason: 'unknown user' },
  50053: { outcome: 'failure', reason: 'account locked' },
  50055: { outcome: 'failure', reason: 'password expired' },
  50144: { outcome: 'failure', reason: 'password expired' },
  50057: { outcome: 'failure', reason: 'account disabled' },
  50133: { outcome: 'failure', reason: 'session invalidated' },
  50173: { outcome: 'failure', reason: 'refresh token revoked' },
  700082: { outcome: 'failure', reason: 'refresh token expired' },
  70008: { outcome: 'failure', reason: 'authorization code expired' },
  53000: { outcome: 'failure', reason: 'device not compliant' },
  53001: { outcome: 'failure', reason: 'device not domain joined' },
  53003: { outcome: 'failure', reason: 'blocked by conditional access' },
  65001: { outcome: 'failure', reason: 'consent required' },
  700016: { outcome: 'failure', reason: 'unknown application' },
  7000215: { outcome: 'failure', reason: 'invalid client secret' },
  7000222: { outcome: 'failure', reason: 'client secret expired' },
  50074: { action: 'mfa', outcome: 'challenge', reason: 'mfa required' },
  50076: { action: 'mfa', outcome: 'challenge', reason: 'mfa required' },
  50072: { action: 'mfa', outcome: 'challenge', reason: 'mfa registration required' },
  50079: { action: 'mfa', outcome: 'challenge', reason: 'mfa registration required' },
  500121: { action: 'mfa', outcome: 'failure', reason: 'mfa failed' },
  50058: { outcome: 'challenge', reason: 'sign-in required' },
  50140: { outcome: 'challenge', reason: 'keep me signed in interrupt' },
  50097: { outcome: 'challenge', reason: 'device authentication required' },
  50125: { outcome: 'challenge', reason: 'password reset or registration interrupt' },
};

/** Client apps that are modern auth; any other `clientAppUsed` (IMAP4, Exchange ActiveSync …) is legacy auth. */
const MODERN_CLIENTS = new Set(['browser', 'mobile apps and desktop clients']);

function parseEntraSignIn(record: unknown): SourceResult {
  if (!isObject(record)) return refusedRecord('(record): must be a JSON object');
  const field = caseInsensitive(record);
  if (Array.isArray(field('records'))) return refusedRecord('records: an Azure Monitor batch holds several records; send them one per record');
  if (Array.isArray(field('value'))) return refusedRecord('value: a Microsoft Graph page holds several sign-ins; send them one per record');

  const properties = field('properties');
  const monitor = isObject(properties) && (field('category') !== undefined || field('operationName') !== undefined);
  let signIn: Record<string, unknown>;
  let kind: SignInKind;
  let rawTime: unknown;
  let timeField: string;
  if (monitor) {
    const category = text(field('category'));
    const operation = text(field('operationName'));
    const categoryKind = category === undefined ? undefined : SIGN_IN_CATEGORIES[category.toLowerCase()];
    if (!categoryKind && !(category === undefined && operation?.toLowerCase() === 'sign-in activity')) {
      return ignoredRecord(`${category ?? operation ?? 'Azure Monitor'} record`);
    }
    signIn = properties;
    kind = categoryKind ?? 'interactive';
    [rawTime, timeField] = field('time') !== undefined ? [field('time'), 'time'] : [signIn['createdDateTime'], 'properties.createdDateTime'];
  } else {
    signIn = record;
    kind = graphKind(record);
    [rawTime, timeField] = [record['createdDateTime'], 'createdDateTime'];
  }
  if (rawTime === undefined || rawTime === null) return refusedRecord(`${timeField}: is required`);
  const time = typeof rawTime === 'string' ? isoTime(rawTime) : undefined;
  if (!time) return refusedRecord(`${timeField}: must be an ISO-8601 date-time`);

  const status = readStatus(signIn, monitor ? field : undefined);
  if (typeof status === 'string') return refusedRecord(status);

  const known = status.code === undefined ? undefined : ERROR_CODES[status.code];
  let action: AuthAction = known?.action ?? (kind === 'interactive' ? 'login' : 'token');
  let outcome: Outcome;
  let reason: string | undefined;
  let mfaFacts: Fact[] = [];
  if (status.code === 0) {
    outcome = 'success';
  } else if (known) {
    outcome = known.outcome;
    reason = known.reason;
    if (status.code === 500121) {
      const verdict = mfaVerdict(signIn);
      if (verdict) [reason, mfaFacts] = verdict;
    }
  } else {
    outcome = 'failure';
    reason = status.code === undefined ? (status.text ?? 'sign-in failed') : `error ${status.code}${status.text ? `: ${status.text}` : ''}`;
  }
  if (kind === 'service' && action === 'mfa') action = 'token';
  const risk = readRisk(signIn);
  if (risk) reason = reason ? `${reason}; ${risk}` : risk;

  // The sign-in's own address; Azure Monitor's caller address when the sign-in has none.
  const [ip, ipField] =
    address(signIn['ipAddress']) !== undefined
      ? [address(signIn['ipAddress']), monitor ? 'properties.ipAddress' : 'ipAddress']
      : [monitor ? address(field('callerIpAddress')) : undefined, 'callerIpAddress'];
  if (ip === false) return refusedRecord(`${ipField}: must be an IPv4 or IPv6 address`);

  const event: AuthEventInput = { time, source: { kind: 'entra' }, plane: 'north-south', action, outcome };
  const tenant = text(field('tenantId')) ?? text(signIn['tenantId']) ?? text(signIn['resourceTenantId']);
  if (tenant) event.source.name = clip(tenant, 256);
  const id = readId(signIn, monitor ? field : undefined, time, status.code);
  if (id) event.id = clip(`entra:${id}`, 256);
  if (reason) event.reason = clip(reason, 512);
  const principal = readPrincipal(signIn, kind);
  if (principal) event.principal = principal;
  const client = defined({
    ip,
    userAgent: clip(text(signIn['userAgent']), 1024),
    deviceId: clip(text(objectAt(signIn, 'deviceDetail')?.['deviceId']), 256),
    sessionId: clip(text(signIn['sessionId']), 256),
    tokenId: clip(text(signIn['uniqueTokenIdentifier']), 256),
    geo: readGeo(asObject(signIn['location'])),
    asn: asnOf(signIn['autonomousSystemNumber'], undefined),
  });
  if (client) event.client = client;
  const target = defined({ service: clip(text(signIn['resourceDisplayName']) ?? text(signIn['appDisplayName']), 512) });
  if (target) event.target = target;
  const requirement = text(signIn['authenticationRequirement'])?.toLowerCase();
  const auth = defined({
    method: clip(readMethod(signIn), 64),
    mfa: action === 'mfa' || requirement === 'multifactorauthentication' ? true : requirement === 'singlefactorauthentication' ? false : undefined,
  });
  if (auth) event.auth = auth;
  const facts = factList(
    riskEventTypes(signIn).some((t) => t.toLowerCase() === 'anonymizedipaddress') && 'anonymizer',
    ...mfaFacts,
    ratedHighRisk(signIn) && 'vendor-risk-high',
  );
  if (facts) event.facts = facts;
  return { ok: true, events: [event] };
}

/** Graph's `signInLocation`: the country is ISO alpha-2 already; coordinates under `geoCoordinates`. */
function readGeo(location: Record<string, unknown> | undefined) {
  if (!location) return undefined;
  const coordinates = asObject(location['geoCoordinates']);
  return geoOf({ country: location['countryOrRegion'], city: location['city'], lat: coordinates?.['latitude'], lon: coordinates?.['longitude'] });
}

/**
 * Entra rated the sign-in high risk — in real time (`riskLevelDuringSignIn`) or once its offline
 * detections were in (`riskLevelAggregated`) — and nobody has since declared it safe (`riskState`
 * `dismissed` or `confirmedSafe`: an administrator looked and cleared it).
 */
function ratedHighRisk(signIn: Record<string, unknown>): boolean {
  const state = text(signIn['riskState'])?.toLowerCase();
  if (state === 'dismissed' || state === 'confirmedsafe') return false;
  return [signIn['riskLevelDuringSignIn'], signIn['riskLevelAggregated']].some((level) => text(level)?.toLowerCase() === 'high');
}

/** The risk detections of the sign-in: `riskEventTypes_v2` (strings), else the older `riskEventTypes`. */
function riskEventTypes(signIn: Record<string, unknown>): string[] {
  const raw = Array.isArray(signIn['riskEventTypes_v2']) ? signIn['riskEventTypes_v2'] : Array.isArray(signIn['riskEventTypes']) ? signIn['riskEventTypes'] : [];
  return raw.map((t) => text(t)).filter((t): t is string => t !== undefined);
}

/** Graph's `signIn`: the beta `signInEventTypes` when present, else who signed in and how. */
function graphKind(signIn: Record<string, unknown>): SignInKind {
  const types = Array.isArray(signIn['signInEventTypes']) ? signIn['signInEventTypes'].map((t) => String(t).toLowerCase()) : [];
  if (types.includes('serviceprincipal') || types.includes('managedidentity')) return 'service';
  if (types.includes('noninteractiveuser')) return 'non-interactive';
  if (types.includes('interactiveuser')) return 'interactive';
  const user = text(signIn['userPrincipalName']) ?? text(signIn['userId']);
  if (!user && (text(signIn['servicePrincipalId']) ?? text(signIn['servicePrincipalName']))) return 'service';
  return signIn['isInteractive'] === false ? 'non-interactive' : 'interactive';
}

/** The sign-in's error code (`status.errorCode`, else Azure Monitor's `resultType`), or the field that is missing. */
function readStatus(signIn: Record<string, unknown>, envelope?: (key: string) => unknown): { code?: number; text?: string } | string {
  const status = asObject(signIn['status']);
  const failureReason = text(status?.['failureReason']) ?? text(status?.['additionalDetails']);
  const code = errorCode(status?.['errorCode']);
  if (code !== undefined) return { code, ...(failureReason ? { text: failureReason } : {}) };
  if (status?.['errorCode'] !== undefined && status['errorCode'] !== null) return 'status.errorCode: must be a number';
  if (envelope) {
    const resultType = envelope('resultType');
    const description = text(envelope('resultDescription')) ?? failureReason;
    const resultCode = errorCode(resultType);
    if (resultCode !== undefined) return { code: resultCode, ...(description ? { text: description } : {}) };
    const word = text(resultType)?.toLowerCase();
    if (word === 'success') return { code: 0 };
    if (word === 'failure') return description ? { text: description } : {};
  }
  return 'status.errorCode: is required';
}

function errorCode(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value.trim())) return Number(value);
  return undefined;
}

/** Authenticator's answer to a failed second factor, in Ratchet's words, with the facts it establishes. */
function mfaVerdict(signIn: Record<string, unknown>): [string, Fact[]] | undefined {
  const details = [
    text(objectAt(signIn, 'status')?.['additionalDetails']),
    ...(Array.isArray(signIn['authenticationDetails'])
      ? signIn['authenticationDetails'].filter(isObject).map((d) => text(d['authenticationStepResultDetail']))
      : []),
  ]
    .filter((d): d is string => d !== undefined)
    .join(' ')
    .toLowerCase();
  // Every verdict starts "MFA denied; …": the specific words are read first.
  if (/fraud/.test(details)) return ['fraud reported', ['mfa-push-denied', 'mfa-fraud-reported']];
  if (/did not respond|timed out|timeout/.test(details)) return ['push timeout', ['mfa-push-timeout']];
  if (/declined|denied|rejected/.test(details)) return ['push denied', ['mfa-push-denied']];
  return undefined;
}

function readRisk(signIn: Record<string, unknown>): string | undefined {
  const level = text(signIn['riskLevelDuringSignIn'])?.toLowerCase();
  // `low` is Identity Protection's low-confidence tier; carrying it on every sign-in would be noise.
  if (level !== 'medium' && level !== 'high') return undefined;
  const types = riskEventTypes(signIn);
  return types.length > 0 ? `risk ${level}: ${types.join(', ')}` : `risk ${level}`;
}

function readPrincipal(signIn: Record<string, unknown>, kind: SignInKind): PrincipalDto | undefined {
  if (kind === 'service') {
    const id = text(signIn['servicePrincipalId']) ?? text(signIn['appId']) ?? text(signIn['servicePrincipalName']);
    return id ? { type: 'service', id: clip(id, 512) } : undefined;
  }
  const id = text(signIn['userPrincipalName'])?.toLowerCase() ?? text(signIn['userId']);
  return id ? { type: 'user', id: clip(id, 512) } : undefined;
}

/** The sign-in protocol (`ropc`, `deviceCode` …), or the legacy client that signed in (`IMAP4` …). */
function readMethod(signIn: Record<string, unknown>): string | undefined {
  const clientApp = text(signIn['clientAppUsed']);
  if (clientApp && !MODERN_CLIENTS.has(clientApp.toLowerCase())) return clientApp;
  const protocol = text(signIn['authenticationProtocol']);
  return protocol && protocol.toLowerCase() !== 'none' ? protocol : undefined;
}

function readId(signIn: Record<string, unknown>, envelope: ((key: string) => unknown) | undefined, time: string, code: number | undefined): string | undefined {
  const own = text(signIn['id']);
  if (own) return own;
  const correlation = text(signIn['correlationId']) ?? (envelope ? text(envelope('correlationId')) : undefined);
  return correlation ? `${correlation}@${time}#${code ?? 'failure'}` : undefined;
}

/** Reads top-level keys in any letter case (Azure Monitor routes disagree on it). */
function caseInsensitive(record: Record<string, unknown>): (key: string) => unknown {
  let lower: Map<string, unknown> | undefined;
  return (key) => {
    if (key in record) return record[key];
    lower ??= new Map(Object.entries(record).map(([k, v]) => [k.toLowerCase(), v]));
    return lower.get(key.toLowerCase());
  };
}

// ---- reading JSON records ------------------------------------------------------------------

