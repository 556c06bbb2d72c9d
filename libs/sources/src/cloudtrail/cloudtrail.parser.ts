import type { AuthAction, AuthEventInput, Outcome, PrincipalDto } from '@ratchet/contracts';
import { address, asObject, clip, defined, isObject, isoTime, text } from '../json/json-record';
import { ignoredRecord, refusedRecord, type SourceParser, type SourceResult } from '../source-parser';

/**
 * AWS CloudTrail records: a trail's S3 files (`{"Records": [...]}`, an envelope the collector
 * opens), CloudWatch Logs or `lookup-events` output (one record per line), or an EventBridge event
 * (the record under `detail`). Sign-ins and failed temporary-credential requests become canonical
 * events on the north-south plane; every other event is ignored and counted under its name.
 *
 * - `ConsoleLogin` is a `login`: `responseElements.ConsoleLogin` `Success` or `Failure`, the
 *   reason from `errorMessage` (`Failed authentication` is `invalid credentials`, `No username
 *   found in supplied account` is `unknown user`), `additionalEventData.MFAUsed` whether a second
 *   factor was used. `CheckMfa` (the second step of a root or IAM user sign-in) is `mfa`.
 * - `GetSessionToken`, `AssumeRole`, `AssumeRoleWithSAML`, `AssumeRoleWithWebIdentity` and
 *   `GetFederationToken` are `token`, counted only when refused for an authentication or
 *   authorisation reason (`AccessDenied`, an invalid or expired token, a rejected claim): a
 *   trail holds millions of successful role assumptions by services, which say nothing about
 *   an attack. A wrong MFA code on `GetSessionToken` is a failure with `auth.mfa`. Throttling and
 *   validation errors are ignored.
 * - `sourceIPAddress` is the client only when it is an address; AWS writes a service's name
 *   there (`signin.amazonaws.com`, `AWS Internal`) when the service called on the user's behalf.
 * - The principal is the identity's ARN (unique across accounts; `userName` alone is not), else
 *   its user name, else its principal id. `Root`, `IAMUser`, `AssumedRole`, `FederatedUser`,
 *   `SAMLUser` and `IdentityCenterUser` are users; `AWSService`, `AWSAccount` and
 *   `WebIdentityUser` (CI jobs, EKS pods) services. A failed sign-in whose user AWS hides (`HIDDEN_DUE_TO_SECURITY_REASONS`)
 *   is anonymous.
 * - The id is `eventID`; `recipientAccountId` names the source (the account the trail is for),
 *   `eventSource` is the target service, the role ARN the target name.
 */
export const cloudtrailParser: SourceParser = {
  id: 'cloudtrail',
  summary: 'AWS CloudTrail records (JSON): console sign-ins, MFA checks, refused STS token requests',
  framing: 'json',
  parse: parseCloudTrailRecord,
  envelopes: [{ name: 'CloudTrail log file', records: 'Records' }],
};

const TOKEN_EVENTS = new Set(['GetSessionToken', 'AssumeRole', 'AssumeRoleWithSAML', 'AssumeRoleWithWebIdentity', 'GetFederationToken']);

/** STS error codes that mean "who you are, or what you hold, was not accepted". */
const TOKEN_REFUSALS: Readonly<Record<string, string>> = {
  AccessDenied: 'access denied',
  InvalidIdentityToken: 'invalid identity token',
  ExpiredToken: 'expired token',
  ExpiredTokenException: 'expired token',
  IDPRejectedClaim: 'identity provider claim rejected',
  InvalidClientTokenId: 'invalid access key',
  SignatureDoesNotMatch: 'invalid signature',
};

/** `errorMessage` of a failed `ConsoleLogin`, in the words every Ratchet source uses. */
const SIGN_IN_REASONS: Readonly<Record<string, string>> = {
  'Failed authentication': 'invalid credentials',
  'No username found in supplied account': 'unknown user',
};

const USER_TYPES = new Set(['Root', 'IAMUser', 'AssumedRole', 'FederatedUser', 'SAMLUser', 'IdentityCenterUser', 'Unknown']);
/** A web identity is mostly a workload: a CI job (GitHub Actions OIDC), a pod (EKS IRSA). */
const SERVICE_TYPES = new Set(['AWSService', 'AWSAccount', 'WebIdentityUser']);
const HIDDEN_USER = 'HIDDEN_DUE_TO_SECURITY_REASONS';

interface Reading {
  action: AuthAction;
  outcome: Outcome;
  reason?: string;
  mfa?: boolean;
}

function parseCloudTrailRecord(record: unknown): SourceResult {
  if (!isObject(record)) return refusedRecord('(record): must be a JSON object');
  // EventBridge delivers one record as the `detail` of an event.
  if (typeof record['detail-type'] === 'string' && isObject(record['detail'])) return readRecord(record['detail'], 'detail.');
  return readRecord(record, '');
}

function readRecord(record: Record<string, unknown>, at: string): SourceResult {
  const eventName = text(record['eventName']);
  if (eventName === undefined) return refusedRecord(`${at}eventName: is required`);
  const reading = readingOf(eventName, record, at);
  if (!reading.ok) return reading.result;

  const eventTime = record['eventTime'];
  if (eventTime === undefined || eventTime === null) return refusedRecord(`${at}eventTime: is required`);
  const time = typeof eventTime === 'string' ? isoTime(eventTime) : undefined;
  if (!time) return refusedRecord(`${at}eventTime: must be an ISO-8601 date-time`);

  // An address, or a service name (`signin.amazonaws.com`, `AWS Internal`): only an address is a client.
  const ip = address(record['sourceIPAddress']);
  const identity = asObject(record['userIdentity']);
  const event: AuthEventInput = { time, source: { kind: 'cloudtrail' }, plane: 'north-south', action: reading.value.action, outcome: reading.value.outcome };
  const eventId = text(record['eventID']);
  if (eventId) event.id = clip(`cloudtrail:${eventId}`, 256);
  const account = text(record['recipientAccountId']) ?? text(identity?.['accountId']);
  if (account) event.source.name = clip(account, 256);
  if (reading.value.reason) event.reason = clip(reading.value.reason, 512);
  const principal = readPrincipal(identity, text(record['sourceIPAddress']));
  if (principal) event.principal = principal;
  const client = defined({ ip: ip || undefined, userAgent: clip(text(record['userAgent']), 1024) });
  if (client) event.client = client;
  const request = asObject(record['requestParameters']);
  const target = defined({
    host: clip(text(asObject(record['tlsDetails'])?.['clientProvidedHostHeader'])?.toLowerCase(), 512),
    service: clip(text(record['eventSource']), 512),
    name: clip(text(request?.['roleArn']), 253),
  });
  if (target) event.target = target;
  const auth = defined({ method: reading.value.action === 'login' ? 'password' : undefined, mfa: reading.value.mfa });
  if (auth) event.auth = auth;
  return { ok: true, events: [event] };
}

function readingOf(eventName: string, record: Record<string, unknown>, at: string): { ok: true; value: Reading } | { ok: false; result: SourceResult } {
  const response = asObject(record['responseElements']);
  const errorMessage = text(record['errorMessage']);
  const mfaUsed = text(asObject(record['additionalEventData'])?.['MFAUsed']);
  if (eventName === 'ConsoleLogin' || eventName === 'CheckMfa') {
    const result = text(response?.[eventName]);
    if (result !== 'Success' && result !== 'Failure') {
      return { ok: false, result: refusedRecord(`${at}responseElements.${eventName}: must be Success or Failure`) };
    }
    const action: AuthAction = eventName === 'ConsoleLogin' ? 'login' : 'mfa';
    const mfa = action === 'mfa' ? true : mfaUsed === 'Yes' ? true : mfaUsed === 'No' ? false : undefined;
    if (result === 'Success') return { ok: true, value: { action, outcome: 'success', ...(mfa === undefined ? {} : { mfa }) } };
    const reason = errorMessage === undefined ? undefined : (SIGN_IN_REASONS[errorMessage] ?? errorMessage);
    return { ok: true, value: { action, outcome: 'failure', ...(reason ? { reason } : {}), ...(mfa === undefined ? {} : { mfa }) } };
  }
  if (TOKEN_EVENTS.has(eventName)) {
    const errorCode = text(record['errorCode']);
    if (errorCode === undefined) return { ok: false, result: ignoredRecord(`${eventName} granted`) };
    const refusal = TOKEN_REFUSALS[errorCode];
    if (refusal === undefined) return { ok: false, result: ignoredRecord(`${eventName} error ${errorCode}`) };
    // GetSessionToken with a wrong code: "MultiFactorAuthentication failed with invalid MFA one time pass code."
    const wrongMfa = errorMessage !== undefined && /MultiFactorAuthentication failed/i.test(errorMessage);
    return { ok: true, value: { action: 'token', outcome: 'failure', reason: wrongMfa ? 'invalid mfa code' : refusal, ...(wrongMfa ? { mfa: true } : {}) } };
  }
  return { ok: false, result: ignoredRecord(`event ${eventName}`) };
}

function readPrincipal(identity: Record<string, unknown> | undefined, sourceName: string | undefined): PrincipalDto | undefined {
  if (!identity) return undefined;
  const type = text(identity['type']) ?? '';
  const userName = text(identity['userName']);
  if (userName === HIDDEN_USER) return { type: 'anonymous' };
  const id = text(identity['arn']) ?? userName ?? text(identity['principalId']);
  if (SERVICE_TYPES.has(type)) {
    const service = (type === 'AWSService' ? text(identity['invokedBy']) : undefined) ?? id ?? sourceName;
    return service ? { type: 'service', id: clip(service, 512) } : undefined;
  }
  if (USER_TYPES.has(type) || id !== undefined) return id ? { type: 'user', id: clip(id, 512) } : { type: 'anonymous' };
  return undefined;
}
