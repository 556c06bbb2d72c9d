import { apacheAccessParser, apacheErrorParser } from './apache';
import { autheliaParser } from './authelia';
import { auth0Parser } from './auth0';
import { caddyParser } from './caddy';
import { canonicalParser } from './canonical';
import { cloudtrailParser } from './cloudtrail';
import { acceptingEnvelopes } from './wrappers';
import { entraParser } from './entra';
import { envoyJsonParser, envoyParser } from './envoy';
import { haproxyParser } from './haproxy';
import { k8sAuditParser } from './k8s-audit';
import { keycloakLogParser, keycloakParser } from './keycloak';
import { nginxAccessParser, nginxErrorParser, nginxJsonParser } from './nginx';
import { InvalidSourceConfig } from './mapping';
import { oktaParser } from './okta';
import { ocsfParser } from './ocsf';
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
  caddyParser,
  sshdParser,
  oktaParser,
  entraParser,
  auth0Parser,
  keycloakParser,
  keycloakLogParser,
  autheliaParser,
  k8sAuditParser,
  ocsfParser,
  cloudtrailParser,
].map(acceptingEnvelopes);

export function findSource(id: string): SourceParser | undefined {
  return SOURCES.find((s) => s.id === id);
}

/** The sources one process reads: the built-in ones and those the operator configured. */
export interface SourceCatalogue {
  readonly sources: readonly SourceParser[];
  find(id: string): SourceParser | undefined;
}

/**
 * The built-in SOURCES and the configured ones after them (see `compileSourceMappings`). A
 * configured source may not take a built-in id, nor two the same one: throws
 * `InvalidSourceConfig` naming it.
 */
export function sourceCatalogue(configured: readonly SourceParser[] = []): SourceCatalogue {
  const byId = new Map(SOURCES.map((s) => [s.id, s]));
  for (const source of configured) {
    if (byId.has(source.id)) {
      const builtIn = SOURCES.includes(byId.get(source.id) as SourceParser);
      throw new InvalidSourceConfig(`sources.${source.id}`, builtIn ? 'is a built-in source; give the configured one another id' : 'is configured twice');
    }
    byId.set(source.id, source);
  }
  const sources = [...byId.values()];
  return { sources, find: (id) => byId.get(id) };
}
