import { auth0Parser } from './auth0';
import { canonicalParser } from './canonical';
import { cloudtrailParser } from './cloudtrail';
import { entraParser } from './entra';
import { envoyJsonParser, envoyParser } from './envoy';
import { k8sAuditParser } from './k8s-audit';
import { keycloakParser } from './keycloak';
import { nginxAccessParser, nginxErrorParser, nginxJsonParser } from './nginx';
import { oktaParser } from './okta';
import { ocsfParser } from './ocsf';
import type { SourceParser } from './source-parser';

/** Every format Ratchet reads. A plain array: no registration by import side effect. */
export const SOURCES: readonly SourceParser[] = [
  canonicalParser,
  nginxAccessParser,
  nginxJsonParser,
  nginxErrorParser,
  envoyParser,
  envoyJsonParser,
  oktaParser,
  entraParser,
  auth0Parser,
  keycloakParser,
  k8sAuditParser,
  ocsfParser,
  cloudtrailParser,
];

export function findSource(id: string): SourceParser | undefined {
  return SOURCES.find((s) => s.id === id);
}
