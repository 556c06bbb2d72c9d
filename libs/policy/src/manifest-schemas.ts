import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import certificate from './schemas/cert-manager.io_v1_certificate.json';
import nginxPolicy from './schemas/k8s.nginx.org_v1_policy.json';
import networkPolicy from './schemas/networking.k8s.io_v1_networkpolicy.json';
import linkerdAuthorizationPolicy from './schemas/policy.linkerd.io_v1alpha1_authorizationpolicy.json';
import meshTlsAuthentication from './schemas/policy.linkerd.io_v1alpha1_meshtlsauthentication.json';
import istioAuthorizationPolicy from './schemas/security.istio.io_v1_authorizationpolicy.json';
import peerAuthentication from './schemas/security.istio.io_v1_peerauthentication.json';
import type { KubernetesObject } from './policy-object';

/** A CRD version's schema as vendored (schemas/NOTICE): group, kind, version, openAPIV3Schema. */
interface VendoredCrd {
  group: string;
  kind: string;
  version: string;
  openAPIV3Schema: object;
}

const crds: readonly VendoredCrd[] = [certificate, nginxPolicy, linkerdAuthorizationPolicy, meshTlsAuthentication, istioAuthorizationPolicy, peerAuthentication];

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

let compiled: Map<string, ValidateFunction> | undefined;

/** Compiled once, on first use: the upstream schemas are large and only tests and `policy render` need them. */
function validators(): Map<string, ValidateFunction> {
  if (compiled) return compiled;
  // strict: false — the CRDs carry Kubernetes extensions (x-kubernetes-*) ajv does not know.
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  compiled = new Map<string, ValidateFunction>();
  for (const crd of crds) compiled.set(`${crd.group}/${crd.version}/${crd.kind}`, ajv.compile(crd.openAPIV3Schema));
  const { $schema: _schema, $id: _id, ...np } = networkPolicy as Record<string, unknown>;
  compiled.set('networking.k8s.io/v1/NetworkPolicy', ajv.compile(np));
  return compiled;
}

/**
 * Checks a rendered object against the upstream schema of its kind (the CRD's OpenAPI schema,
 * or Kubernetes' own for NetworkPolicy) and the metadata rules the API server applies to every
 * object. Returns the problems, each naming the field; none when the object is valid.
 */
export function validateManifest(object: KubernetesObject): string[] {
  const validate = validators().get(`${object.apiVersion}/${object.kind}`);
  if (validate === undefined) return [`no vendored schema for ${object.apiVersion} ${object.kind}`];
  const problems: string[] = [];
  if (!validate(object)) {
    for (const e of validate.errors ?? []) problems.push(`${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
  }
  const { name, labels = {} } = object.metadata;
  if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) problems.push(`/metadata/name "${name}" is not a DNS subdomain`);
  for (const [key, value] of Object.entries(labels)) {
    if (value.length > 63 || !LABEL_VALUE.test(value)) problems.push(`/metadata/labels/${key} "${value}" is not a label value`);
  }
  return problems;
}
