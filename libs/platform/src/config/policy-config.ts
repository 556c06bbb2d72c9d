import { compilePolicyTargets, DEFAULT_POLICY_SETTINGS, InvalidPolicyTargets, isNamespaceName, parseSelector, type ObjectRef, type PolicySettings, type PolicyTarget } from '@ratchet/policy';
import { ConfigError, envReader } from './env';

export interface PolicyConfig {
  /** RATCHET_POLICY_TARGETS: targets to render on, in order. Default none: the policy path is off. */
  targets: PolicyTarget[];
  settings: PolicySettings;
  /** RATCHET_POLICY_RECONCILE_MS: how often the cluster is reconciled with the decisions. Default 10 s. */
  reconcileMs: number;
}

/**
 * Reads the policy path's settings. Every variable and its default:
 * - RATCHET_POLICY_TARGETS — comma-separated target names; default none.
 * - RATCHET_POLICY_NAMESPACE — namespace of objects not tied to a workload (NGINX Policy); default `ratchet`.
 * - RATCHET_POLICY_NGINX_VIRTUALSERVERS — `namespace/name` VirtualServers to attach NGINX Policies to; default none.
 * - RATCHET_POLICY_ISTIO_ROOT_NAMESPACE — Istio's root namespace (mesh-wide DENY); default `istio-system`.
 * - RATCHET_POLICY_ISTIO_INGRESS_NAMESPACE / _SELECTOR — the ingress gateway; default `istio-system`, `istio=ingressgateway`.
 * - RATCHET_POLICY_RECONCILE_MS — default 10000.
 */
export function readPolicyConfig(env: Readonly<Record<string, string | undefined>>): PolicyConfig {
  const read = envReader(env);
  let targets: PolicyTarget[];
  try {
    targets = compilePolicyTargets(read.list('RATCHET_POLICY_TARGETS', []));
  } catch (err) {
    if (err instanceof InvalidPolicyTargets) throw new ConfigError('RATCHET_POLICY_TARGETS', err.message.replace(/^RATCHET_POLICY_TARGETS: /, ''));
    throw err;
  }
  const namespace = (name: string, fallback: string): string => {
    const value = read.string(name, fallback);
    if (!isNamespaceName(value)) throw new ConfigError(name, `"${value}" is not a namespace name`);
    return value;
  };
  const virtualServers: ObjectRef[] = read.list('RATCHET_POLICY_NGINX_VIRTUALSERVERS', []).map((item) => {
    const [ns, name, extra] = item.split('/');
    if (ns === undefined || name === undefined || extra !== undefined || !isNamespaceName(ns) || name === '') {
      throw new ConfigError('RATCHET_POLICY_NGINX_VIRTUALSERVERS', `"${item}" must be namespace/name`);
    }
    return { apiVersion: 'k8s.nginx.org/v1', kind: 'VirtualServer', namespace: ns, name };
  });
  const selector = read.string('RATCHET_POLICY_ISTIO_INGRESS_SELECTOR', 'istio=ingressgateway');
  const labels = parseSelector(selector);
  if ('invalid' in labels) throw new ConfigError('RATCHET_POLICY_ISTIO_INGRESS_SELECTOR', labels.invalid);
  return {
    targets,
    settings: {
      namespace: namespace('RATCHET_POLICY_NAMESPACE', DEFAULT_POLICY_SETTINGS.namespace),
      nginxVirtualServers: virtualServers,
      istioRootNamespace: namespace('RATCHET_POLICY_ISTIO_ROOT_NAMESPACE', DEFAULT_POLICY_SETTINGS.istioRootNamespace),
      istioIngressGateway: { namespace: namespace('RATCHET_POLICY_ISTIO_INGRESS_NAMESPACE', DEFAULT_POLICY_SETTINGS.istioIngressGateway.namespace), labels },
    },
    reconcileMs: read.int('RATCHET_POLICY_RECONCILE_MS', 10_000, { min: 1_000, max: 3_600_000 }),
  };
}
