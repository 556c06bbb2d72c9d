import type { AuthEventInput, Outcome, PrincipalDto } from '@ratchet/contracts';
import { ignoredRecord, refusedRecord, type SourceParser, type SourceResult } from '../source-parser';
import { address, asObject, clip, defined, isObject, isoTime, text } from '../json/json-record';

/**
 * Kubernetes API server audit events (`audit.k8s.io/v1`, and the older v1beta1), one `Event` per
 * record: the log backend's lines, EKS audit logs from CloudWatch, or an AKS diagnostic record
 * (`category: "kube-audit"` / `"kube-audit-admin"`, the event as JSON text in `properties.log`).
 * Every call becomes `api` on the `control` plane.
 *
 * - Only `ResponseComplete` and `Panic` count: the same request's `RequestReceived` and
 *   `ResponseStarted` stages are ignored, so a call is one event. The exception is a request that
 *   failed authentication: the API server audits it once, at `ResponseStarted` with 401 and no
 *   user, and it never completes. The id is `auditID` + stage.
 * - 401 is a failure (`unauthenticated`); 403 is a failure with the authoriser's reason (RBAC's
 *   `authorization.k8s.io/reason`) or the API's message; anything else passed authentication and
 *   authorisation, so it is a success whose reason says what was done (`create pods/exec`, with
 *   the status when it is an error: `get secrets (404)`).
 * - `system:serviceaccount:<ns>:<name>` is a service (its full username the id), `system:anonymous`
 *   anonymous, the control plane's own `system:` identities (`system:node:…`,
 *   `system:kube-controller-manager` …) services, everyone else a user.
 * - `target.service` is the resource and subresource (`pods/exec`, `secrets`), `method` the verb,
 *   `path` the request URI, `namespace` the object's; `client.tokenId` the credential id the API
 *   server records (`JTI=…`, `X509SHA256=…`, Kubernetes 1.30+).
 * - An `EventList` (the webhook backend's batch) and an AKS diagnostic batch (`records`) are
 *   envelopes: the collector opens them and parses each item; handed to `parse`, an EventList is refused.
 */
export const k8sAuditParser: SourceParser = {
  id: 'k8s-audit',
  summary: 'Kubernetes API server audit events (JSON, audit.k8s.io/v1): every API call by user, service account or anonymous',
  framing: 'json',
  parse: parseAuditEvent,
  envelopes: [
    { name: 'Kubernetes audit EventList', records: 'items', when: { field: 'kind', equals: 'EventList' } },
    { name: 'Azure diagnostic settings batch', records: 'records' },
  ],
};

const COUNTED_STAGES = new Set(['ResponseComplete', 'Panic']);
const ALL_STAGES = new Set(['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic']);
const AKS_AUDIT_CATEGORIES = new Set(['kube-audit', 'kube-audit-admin']);
const CREDENTIAL_ID = 'authentication.kubernetes.io/credential-id';

function parseAuditEvent(record: unknown): SourceResult {
  if (!isObject(record)) return refusedRecord('(record): must be a JSON object');
  const [category, properties] = [record['category'], record['properties']];
  if (typeof category === 'string' && isObject(properties)) return parseAksRecord(category, properties);
  return readEvent(record, (path) => path);
}

/** An AKS diagnostic record: the audit event is JSON text in `properties.log`. */
function parseAksRecord(category: string, properties: Record<string, unknown>): SourceResult {
  if (!AKS_AUDIT_CATEGORIES.has(category)) return ignoredRecord(`AKS ${category} record`);
  const log = properties['log'];
  if (typeof log !== 'string') return refusedRecord('properties.log: is required (the audit event as JSON text)');
  let event: unknown;
  try {
    event = JSON.parse(log);
  } catch {
    return refusedRecord('properties.log: is not JSON');
  }
  if (!isObject(event)) return refusedRecord('properties.log: must hold a JSON object');
  return readEvent(event, (path) => `properties.log ${path}`);
}

/** Names a field the way the record spells it: `stage`, or `properties.log stage` inside an AKS record. */
type FieldName = (path: string) => string;

function readEvent(event: Record<string, unknown>, at: FieldName): SourceResult {
  const kind = event['kind'];
  if (kind === 'EventList') return refusedRecord(`${at('items')}: an EventList holds several events; send them one per record`);
  if (kind !== 'Event') return refusedRecord(`${at('kind')}: must be Event (a Kubernetes audit event)`);
  const apiVersion = event['apiVersion'];
  if (apiVersion !== undefined && !(typeof apiVersion === 'string' && apiVersion.startsWith('audit.k8s.io/'))) {
    return refusedRecord(`${at('apiVersion')}: must be audit.k8s.io/v1`);
  }
  const stage = text(event['stage']);
  if (!stage) return refusedRecord(`${at('stage')}: is required`);
  if (!ALL_STAGES.has(stage)) return refusedRecord(`${at('stage')}: must be one of RequestReceived, ResponseStarted, ResponseComplete, Panic`);
  const responseStatus = asObject(event['responseStatus']);
  const code = typeof responseStatus?.['code'] === 'number' ? responseStatus['code'] : undefined;
  // A request that fails authentication is audited once, at ResponseStarted, and never completes.
  const failedAuthentication = stage === 'ResponseStarted' && code === 401;
  if (!COUNTED_STAGES.has(stage) && !failedAuthentication) return ignoredRecord(`audit stage ${stage}`);

  // When the request arrived; v1beta1 events also carry `timestamp`, the same instant.
  const [timeField, rawTime] = (['requestReceivedTimestamp', 'stageTimestamp', 'timestamp'] as const)
    .map((name) => [name, event[name]] as const)
    .find(([, value]) => value !== undefined && value !== null) ?? ['requestReceivedTimestamp', undefined];
  if (rawTime === undefined) return refusedRecord(`${at('requestReceivedTimestamp')}: is required`);
  const time = typeof rawTime === 'string' ? isoTime(rawTime) : undefined;
  if (!time) return refusedRecord(`${at(timeField)}: must be an RFC 3339 date-time`);

  const verb = text(event['verb']);
  if (!verb) return refusedRecord(`${at('verb')}: is required`);

  const sourceIPs = event['sourceIPs'];
  if (sourceIPs !== undefined && !Array.isArray(sourceIPs)) return refusedRecord(`${at('sourceIPs')}: must be a list of addresses`);
  const ip = Array.isArray(sourceIPs) ? address(sourceIPs[0]) : undefined;
  if (ip === false) return refusedRecord(`${at('sourceIPs[0]')}: must be an IPv4 or IPv6 address`);

  const objectRef = asObject(event['objectRef']);
  const resource = text(objectRef?.['resource']);
  const subresource = text(objectRef?.['subresource']);
  const service = resource ? (subresource ? `${resource}/${subresource}` : resource) : undefined;
  const requestURI = text(event['requestURI']);
  const what = service ?? requestURI?.split('?')[0];
  const did = what ? `${verb} ${what}` : verb;

  const annotations = asObject(event['annotations']);
  const decision = text(annotations?.['authorization.k8s.io/decision']);
  let outcome: Outcome = 'success';
  let reason: string;
  if (code === 401) {
    outcome = 'failure';
    reason = 'unauthenticated';
  } else if (code === 403 || (code === undefined && decision === 'forbid')) {
    outcome = 'failure';
    const why = text(annotations?.['authorization.k8s.io/reason']) ?? text(responseStatus?.['message']);
    reason = `forbidden: ${did}${why ? `: ${why}` : ''}`;
  } else {
    reason = code !== undefined && code >= 400 ? `${did} (${code})` : did;
  }

  const user = asObject(event['user']);
  const impersonated = text(asObject(event['impersonatedUser'])?.['username']);
  if (impersonated) reason = `${reason} as ${impersonated}`;

  const result: AuthEventInput = { time, source: { kind: 'k8s-audit' }, plane: 'control', action: 'api', outcome, reason: clip(reason, 512) };
  const auditID = text(event['auditID']);
  if (auditID) result.id = clip(`k8s-audit:${auditID}:${stage}`, 256);
  const principal = principalOf(text(user?.['username']));
  if (principal) result.principal = principal;
  const credential = credentialId(asObject(user?.['extra']));
  const client = defined({ ip, userAgent: clip(text(event['userAgent']), 1024), tokenId: clip(credential, 256) });
  if (client) result.client = client;
  const target = defined({
    path: clip(requestURI, 4096),
    method: clip(verb, 16),
    service: clip(service, 512),
    namespace: clip(text(objectRef?.['namespace']), 253),
  });
  if (target) result.target = target;
  const method = credential?.startsWith('X509SHA256=') ? 'x509' : credential?.startsWith('JTI=') ? 'token' : undefined;
  if (method) result.auth = { method };
  return { ok: true, events: [result] };
}

function principalOf(username: string | undefined): PrincipalDto | undefined {
  if (!username) return undefined;
  if (username === 'system:anonymous') return { type: 'anonymous' };
  // Service accounts, and the control plane's own identities (nodes, controllers, the API server).
  if (username.startsWith('system:')) return { type: 'service', id: clip(username, 512) };
  return { type: 'user', id: clip(username, 512) };
}

/** `user.extra["authentication.kubernetes.io/credential-id"]`: a list with one value. */
function credentialId(extra: Record<string, unknown> | undefined): string | undefined {
  const value = extra?.[CREDENTIAL_ID];
  return Array.isArray(value) ? text(value[0]) : text(value);
}

// ---- reading JSON records ------------------------------------------------------------------

