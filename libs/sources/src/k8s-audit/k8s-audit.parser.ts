import type { AuthEventInput, Outcome, PrincipalDto } from '@ratchet/contracts';
import { ignoredRecord, refusedRecord, type SourceParser, type SourceResult } from '../source-parser';
import { address, asObject, clip, defined, factList, isObject, isoTime, objectAt, text } from '../json/json-record';

/**
 * Kubernetes API server audit events (`audit.k8s.io/v1`, and the older v1beta1), one `Event` per
 * record: the log backend's lines, EKS audit logs from CloudWatch, or an AKS diagnostic record
 * (`category: "kube-audit"` / `"kube-audit-admin"`, the event as JSON text in `properties.log`).
 * Every call becomes `api` on the `control` plane.
 *
 * - Only `ResponseComplete` and `Panic` count: the same request's `RequestReceived` and
 *   `ResponseStarted` stages are ignored, so a call is one event. Two exceptions: a request that
 *   failed authentication, which the API server audits once, at `ResponseStarted` with 401 and no
 *   user, and never completes; and a session into a pod (`pods/exec`, `attach`, `portforward`),
 *   which opens at `ResponseStarted` (101) and completes only when it ends — minutes later, or
 *   never in the log if the API server restarts — so it counts when it opens. The id is `auditID`
 *   + stage, `auditID:session` for both stages of a session, so a pipeline that keeps both
 *   delivers one event twice rather than two events.
 * - 401 is a failure (`unauthenticated`); 403 is a failure with the authoriser's reason (RBAC's
 *   `authorization.k8s.io/reason`) or the API's message; anything else passed authentication and
 *   authorisation, so it is a success whose reason says what was done (`create pods/exec`, with
 *   the status when it is an error: `get secrets (404)`).
 * - `system:serviceaccount:<ns>:<name>` is a service (its full username the id), `system:anonymous`
 *   anonymous, the control plane's own `system:` identities (`system:node:…`,
 *   `system:kube-controller-manager` …) services, everyone else a user.
 * - `target.service` is the resource and subresource (`pods/exec`, `secrets`), `method` the verb,
 *   `path` the request URI, `namespace` and `name` the object's (`objectRef`, else the created
 *   object's `metadata.name`), `status` the response code; `client.tokenId` the credential id the
 *   API server records (`JTI=…`, `X509SHA256=…`, Kubernetes 1.30+).
 * - `client.ip` is the *last* of `sourceIPs`. The API server lists X-Forwarded-For, then
 *   X-Real-Ip, then the address of the connection's peer, and the Kubernetes API reference warns
 *   that all but the last can be set by the client: `sourceIPs[0]` is whatever a caller wrote in
 *   a header. Behind proxies that append to X-Forwarded-For, `createK8sAuditParser({ trustedProxies })`
 *   steps back over their entries.
 * - An `EventList` (the webhook backend's batch) and an AKS diagnostic batch (`records`) are
 *   envelopes: the collector opens them and parses each item; handed to `parse`, an EventList is refused.
 *
 * Facts, read from the request body (`requestObject`, logged at level Request and above) whatever
 * the outcome — a refused privileged pod was still asked for:
 * - `privileged-workload`: a pod spec with a privileged container (containers, init or ephemeral),
 *   `hostPID`, `hostIPC` or `hostNetwork`, or that explicitly runs as root — `runAsUser: 0` or
 *   `runAsNonRoot: false` in the pod's or a container's `securityContext` (what the Pod Security
 *   Standards' restricted profile forbids; a spec that says nothing is left to the image, and to
 *   admission); a pod spec is a Pod's (`pods`, or its
 *   `ephemeralcontainers`), or the template of a Deployment, ReplicaSet, StatefulSet, DaemonSet,
 *   Job, ReplicationController or PodTemplate, or a CronJob's job template. Status and binding
 *   subresources are not specs anybody wrote, so they are not read.
 * - `host-path-mount`: such a pod spec with a `hostPath` volume.
 * - `cluster-admin-grant`: a ClusterRoleBinding to a role that owns the cluster (`PRIVILEGED_CLUSTER_ROLES`).
 *   A RoleBinding to `cluster-admin` grants it within one namespace only: it is an ordinary binding
 *   change, not this fact.
 * - `impersonation`: the call carries `impersonatedUser`.
 *
 * Required: `kind: Event`, a time (`requestReceivedTimestamp`, else `stageTimestamp`, v1beta1's
 * `timestamp`, the AKS record's `time` or a Panther data-lake row's `p_event_time`). Exports
 * that keep only some columns are read as they are: no `stage` reads as a completed call (the
 * only stage most pipelines keep), no `verb` leaves `method` out, no `auditID` no id.
 */
export interface K8sAuditOptions {
  /**
   * How many proxies in front of the API server append the address they saw to X-Forwarded-For
   * and are trusted to: the client is that many entries before the last of `sourceIPs`.
   * Default 0: the peer of the connection, the only entry a client cannot forge.
   */
  trustedProxies?: number;
}

/** A Kubernetes audit parser for the given proxy chain; throws when an option is invalid (at start-up, never per record). */
export function createK8sAuditParser(options: K8sAuditOptions = {}): SourceParser {
  const hops = options.trustedProxies ?? 0;
  if (!Number.isInteger(hops) || hops < 0) throw new RangeError(`trustedProxies: must be a whole number of proxies, 0 or more (got ${String(hops)})`);
  return {
    id: 'k8s-audit',
    summary: 'Kubernetes API server audit events (JSON, audit.k8s.io/v1): every API call by user, service account or anonymous',
    framing: 'json',
    parse: (record) => parseAuditEvent(record, hops),
    envelopes: [
      { name: 'Kubernetes audit EventList', records: 'items', when: { field: 'kind', equals: 'EventList' } },
      { name: 'Azure diagnostic settings batch', records: 'records' },
    ],
  };
}

export const k8sAuditParser: SourceParser = createK8sAuditParser();

const COUNTED_STAGES = new Set(['ResponseComplete', 'Panic']);
/** Subresources whose call is a session in a pod: it is under way once the response has started. */
const SESSION_SUBRESOURCES = new Set(['exec', 'attach', 'portforward']);
const ALL_STAGES = new Set(['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic']);
const AKS_AUDIT_CATEGORIES = new Set(['kube-audit', 'kube-audit-admin']);
const CREDENTIAL_ID = 'authentication.kubernetes.io/credential-id';

/**
 * Cluster roles whose binding cluster-wide hands over the cluster: `cluster-admin` (every verb on
 * everything); `system:kube-controller-manager`, which reads every secret and mints tokens for any
 * service account; and `system:masters`, the superuser group's name, which no built-in role carries
 * — a binding to a role of that name is staged for whoever later creates it.
 */
export const PRIVILEGED_CLUSTER_ROLES: ReadonlySet<string> = new Set(['cluster-admin', 'system:kube-controller-manager', 'system:masters']);

function parseAuditEvent(record: unknown, hops: number): SourceResult {
  if (!isObject(record)) return refusedRecord('(record): must be a JSON object');
  const [category, properties] = [record['category'], record['properties']];
  // An Azure diagnostic record names its category; only kube-audit ones hold an audit event.
  if (typeof category === 'string' && record['kind'] === undefined) return parseAksRecord(record, category, asObject(properties), hops);
  return readEvent(record, (path) => path, hops, record['p_event_time']);
}

/**
 * An Azure diagnostic or activity record: of AKS's categories only the audit ones carry an event,
 * as JSON text in `properties.log`; the rest (the API server's own log, a VM written) are ignored.
 */
function parseAksRecord(record: Record<string, unknown>, category: string, properties: Record<string, unknown> | undefined, hops: number): SourceResult {
  if (!AKS_AUDIT_CATEGORIES.has(category)) return ignoredRecord(`Azure ${category} record`);
  const log = properties?.['log'];
  if (typeof log !== 'string') return refusedRecord('properties.log: is required (the audit event as JSON text)');
  let event: unknown;
  try {
    event = JSON.parse(log);
  } catch {
    return refusedRecord('properties.log: is not JSON');
  }
  if (!isObject(event)) return refusedRecord('properties.log: must hold a JSON object');
  return readEvent(event, (path) => `properties.log ${path}`, hops, record['time'] ?? record['p_event_time']);
}

/** Names a field the way the record spells it: `stage`, or `properties.log stage` inside an AKS record. */
type FieldName = (path: string) => string;

function readEvent(event: Record<string, unknown>, at: FieldName, hops: number, envelopeTime: unknown): SourceResult {
  const kind = event['kind'];
  if (kind === 'EventList') return refusedRecord(`${at('items')}: an EventList holds several events; send them one per record`);
  if (kind !== 'Event') return refusedRecord(`${at('kind')}: must be Event (a Kubernetes audit event)`);
  const apiVersion = event['apiVersion'];
  if (apiVersion !== undefined && !(typeof apiVersion === 'string' && apiVersion.startsWith('audit.k8s.io/'))) {
    return refusedRecord(`${at('apiVersion')}: must be audit.k8s.io/v1`);
  }
  const stage = text(event['stage']);
  if (stage !== undefined && !ALL_STAGES.has(stage)) return refusedRecord(`${at('stage')}: must be one of RequestReceived, ResponseStarted, ResponseComplete, Panic`);
  const responseStatus = asObject(event['responseStatus']);
  const code = typeof responseStatus?.['code'] === 'number' ? responseStatus['code'] : undefined;
  // A request that fails authentication is audited once, at ResponseStarted, and never completes.
  const failedAuthentication = stage === 'ResponseStarted' && code === 401;
  const objectRef = asObject(event['objectRef']);
  const resource = text(objectRef?.['resource']);
  const subresource = text(objectRef?.['subresource']);
  const session = resource === 'pods' && subresource !== undefined && SESSION_SUBRESOURCES.has(subresource);
  const sessionOpened = session && stage === 'ResponseStarted';
  if (stage !== undefined && !COUNTED_STAGES.has(stage) && !failedAuthentication && !sessionOpened) return ignoredRecord(`audit stage ${stage}`);

  // When the request arrived; v1beta1 events also carry `timestamp`, the same instant.
  const [timeField, rawTime] = [
    ...(['requestReceivedTimestamp', 'stageTimestamp', 'timestamp'] as const).map((name) => [at(name), event[name]] as const),
    ['time', envelopeTime] as const,
  ].find(([, value]) => value !== undefined && value !== null) ?? ['', undefined];
  if (rawTime === undefined) return refusedRecord(`${at('requestReceivedTimestamp')}: is required`);
  const time = typeof rawTime === 'string' ? isoTime(rawTime) : undefined;
  if (!time) return refusedRecord(`${timeField}: must be an RFC 3339 date-time`);

  const verb = text(event['verb']);

  const sourceIPs = event['sourceIPs'];
  if (sourceIPs !== undefined && sourceIPs !== null && !Array.isArray(sourceIPs)) return refusedRecord(`${at('sourceIPs')}: must be a list of addresses`);
  // The last entry is the connection's peer; each trusted proxy appended one more before it.
  const clientIndex = Array.isArray(sourceIPs) ? Math.max(0, sourceIPs.length - 1 - hops) : 0;
  const ip = Array.isArray(sourceIPs) ? address(sourceIPs[clientIndex]) : undefined;
  if (ip === false) return refusedRecord(`${at(`sourceIPs[${clientIndex}]`)}: must be an IPv4 or IPv6 address`);

  const service = resource ? (subresource ? `${resource}/${subresource}` : resource) : undefined;
  const requestURI = text(event['requestURI']);
  const what = service ?? requestURI?.split('?')[0];
  const did = [verb ?? 'call', what].filter(Boolean).join(' ');

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
  if (auditID) result.id = clip(`k8s-audit:${auditID}:${session && stage !== 'Panic' ? 'session' : (stage ?? 'ResponseComplete')}`, 256);
  const principal = principalOf(text(user?.['username']));
  if (principal) result.principal = principal;
  const credential = credentialId(asObject(user?.['extra']));
  const client = defined({ ip, userAgent: clip(text(event['userAgent']), 1024), tokenId: clip(credential, 256) });
  if (client) result.client = client;
  const requestObject = asObject(event['requestObject']);
  const target = defined({
    path: clip(requestURI, 4096),
    method: clip(verb, 16),
    service: clip(service, 512),
    namespace: clip(text(objectRef?.['namespace']), 253),
    name: clip(text(objectRef?.['name']) ?? text(objectAt(requestObject, 'metadata')?.['name']), 253),
    status: code !== undefined && Number.isInteger(code) && code >= 100 && code <= 599 ? code : undefined,
  });
  if (target) result.target = target;
  const method = credential?.startsWith('X509SHA256=') ? 'x509' : credential?.startsWith('JTI=') ? 'token' : undefined;
  if (method) result.auth = { method };
  const spec = podSpecOf(resource, subresource, requestObject);
  const roleRef = objectAt(requestObject, 'roleRef');
  const facts = factList(
    spec !== undefined && isPrivileged(spec) && 'privileged-workload',
    spec !== undefined && mountsHostPath(spec) && 'host-path-mount',
    resource === 'clusterrolebindings' && !subresource && PRIVILEGED_CLUSTER_ROLES.has(text(roleRef?.['name']) ?? '') && 'cluster-admin-grant',
    impersonated !== undefined && 'impersonation',
  );
  if (facts) result.facts = facts;
  return { ok: true, events: [result] };
}

/** Workload resources and where their pod template sits in the object. */
const POD_TEMPLATE_PATHS: Readonly<Record<string, readonly string[]>> = {
  pods: ['spec'],
  deployments: ['spec', 'template', 'spec'],
  replicasets: ['spec', 'template', 'spec'],
  statefulsets: ['spec', 'template', 'spec'],
  daemonsets: ['spec', 'template', 'spec'],
  jobs: ['spec', 'template', 'spec'],
  replicationcontrollers: ['spec', 'template', 'spec'],
  podtemplates: ['template', 'spec'],
  cronjobs: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

/** The pod spec a request writes, when it writes one: the object itself, or ephemeral containers added to a pod. */
function podSpecOf(resource: string | undefined, subresource: string | undefined, requestObject: Record<string, unknown> | undefined) {
  if (!resource || !requestObject) return undefined;
  if (subresource !== undefined && !(resource === 'pods' && subresource === 'ephemeralcontainers')) return undefined;
  const path = POD_TEMPLATE_PATHS[resource];
  if (!path) return undefined;
  let node: Record<string, unknown> | undefined = requestObject;
  for (const key of path) node = objectAt(node, key);
  return node;
}

const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'] as const;

function isPrivileged(spec: Record<string, unknown>): boolean {
  if (spec['hostPID'] === true || spec['hostIPC'] === true || spec['hostNetwork'] === true) return true;
  if (runsAsRoot(objectAt(spec, 'securityContext'))) return true;
  return CONTAINER_LISTS.some((list) => {
    const containers = spec[list];
    return (
      Array.isArray(containers) &&
      containers.some((c) => {
        const context = objectAt(c, 'securityContext');
        return context?.['privileged'] === true || runsAsRoot(context);
      })
    );
  });
}

/** A security context that asks for UID 0 or turns off the non-root check, in so many words. */
function runsAsRoot(context: Record<string, unknown> | undefined): boolean {
  return context !== undefined && (context['runAsUser'] === 0 || context['runAsNonRoot'] === false);
}

function mountsHostPath(spec: Record<string, unknown>): boolean {
  const volumes = spec['volumes'];
  return Array.isArray(volumes) && volumes.some((v) => isObject(v) && isObject(v['hostPath']));
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

