import { apacheAccessParser, apacheErrorParser } from './apache';
import { autheliaParser } from './authelia';
import { auth0Parser } from './auth0';
import { canonicalParser } from './canonical';
import { acceptingEnvelopes } from './envelope';
import { entraParser } from './entra';
import { envoyJsonParser, envoyParser } from './envoy';
import { haproxyParser } from './haproxy';
import { k8sAuditParser } from './k8s-audit';
import { keycloakLogParser, keycloakParser } from './keycloak';
import { nginxAccessParser, nginxErrorParser, nginxJsonParser } from './nginx';
import { oktaParser } from './okta';
import type { SourceParser } from './source-parser';
import { sshdParser } from './sshd';
import { traefikParser } from './traefik';

/**
 * Every format Ratchet reads. A plain array: no registration by import side effect. Line parsers
 * are offered through `acceptingEnvelopes`: they also read their lines inside a container runtime's
 * wrapper (CRI, Docker json-file) and behind a syslog header.
 */
export const SOURCES: readonly SourceParser[] = [
  canonicalParser,
  nginxAccessParser,
  nginxJsonParser,
  nginxErrorParser,
  envoyParser,
  envoyJsonParser,
  apacheAccessParser,
  apacheErrorParser,
  traefikParser,
  haproxyParser,
  sshdParser,
  oktaParser,
  entraParser,
  auth0Parser,
  keycloakParser,
  keycloakLogParser,
  autheliaParser,
  k8sAuditParser,
].map(acceptingEnvelopes);

export function findSource(id: string): SourceParser | undefined {
  return SOURCES.find((s) => s.id === id);
}
