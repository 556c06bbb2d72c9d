import type { AuthEvent, RiskSignal } from '@ratchet/contracts';
import { entityRef } from '@ratchet/kernel';
import { eventSignal, type Detector } from '../detector';
import { compileSettings, namePatternsSetting, stringSetSetting, type NameMatcher, type SettingReader } from '../detector-config';
import { addressEntityOf, NO_OPS, NO_SIGNALS } from '../event-reading';

export interface UnknownIdentityParams {
  trustDomains: ReadonlySet<string>;
  /** Patterns the SPIFFE ids must match; undefined: any id of a trusted domain. */
  identities: NameMatcher | undefined;
  /** Services (`target.service` patterns) that only take mutual-TLS callers. */
  mtlsRequiredFor: NameMatcher;
}

const READERS: Readonly<Record<string, SettingReader<UnknownIdentityParams>>> = {
  // Domain names: compared in lower case, as identityProblem reads them.
  trustDomains: stringSetSetting('trustDomains', { lowerCase: true, whenEmpty: 'must name at least one trust domain' }),
  identities: namePatternsSetting('identities'),
  mtlsRequiredFor: namePatternsSetting('mtlsRequiredFor'),
};

/**
 * Severities: a workload from a trust domain the mesh does not federate with is an outsider holding
 * a certificate (0.9); an id of the trust domain that no pattern allows, an identity nobody deployed
 * (0.7); a plain-text call where mutual TLS is required, a caller bypassing the mesh (0.6).
 */
const FOREIGN = 0.9;
const UNEXPECTED = 0.7;
const PLAINTEXT = 0.6;

/**
 * Callers the mesh should not see, from one event (no state):
 * - a SPIFFE id (`principal.spiffeId`) outside `trustDomains` (default `cluster.local`, Istio's) or
 *   not a `spiffe://<domain>/<path>` URI at all → `svc:<id>`;
 * - with `identities` set (patterns, `*` for any run: `spiffe://cluster.local/ns/shop/sa/*`), an id
 *   of a trusted domain that matches none → `svc:<id>`;
 * - a call without mutual TLS (no SPIFFE id, `auth.method` not `mtls`) into a service matching
 *   `mtlsRequiredFor` (default none: Istio's PERMISSIVE mode accepts plain text) → `ip:<client>`.
 */
export const meshUnknownIdentityDetector: Detector<UnknownIdentityParams> & { readonly stateless: true } = {
  id: 'mesh.unknown-identity',
  signalType: 'mesh_unknown_identity',
  reads: { planes: ['north-south', 'east-west'] },
  summary: 'A SPIFFE id outside `trustDomains` (default cluster.local) or matching none of `identities`; a plain-text call into a service in `mtlsRequiredFor` (default none)',
  stateless: true,
  defaults: { trustDomains: new Set(['cluster.local']), identities: undefined, mtlsRequiredFor: () => false },
  compile(raw) {
    return compileSettings(this.id, raw, this.defaults, READERS);
  },
  plan() {
    return NO_OPS;
  },
  detect(event, _results, p): RiskSignal[] {
    if (event.plane === 'control') return NO_SIGNALS;
    const spiffe = spiffeIdOf(event);
    if (spiffe !== undefined) {
      const problem = identityProblem(spiffe, p);
      if (problem === undefined) return NO_SIGNALS;
      const severity = problem === 'unexpected identity' ? UNEXPECTED : FOREIGN;
      return [eventSignal(this, event, entityRef('svc', spiffe), severity, 0.9, { problem, identity: spiffe, callee: event.target?.service ?? '' })];
    }
    const service = event.target?.service;
    if (service === undefined || event.auth?.method === 'mtls' || !p.mtlsRequiredFor(service)) return NO_SIGNALS;
    const entity = addressEntityOf(event);
    if (entity === undefined) return NO_SIGNALS;
    return [eventSignal(this, event, entity, PLAINTEXT, 0.8, { problem: 'plain-text call', callee: service })];
  },
};

function spiffeIdOf(event: AuthEvent): string | undefined {
  const principal = event.principal;
  if (principal === undefined) return undefined;
  if (principal.spiffeId !== undefined) return principal.spiffeId;
  return principal.id !== undefined && principal.id.startsWith('spiffe://') ? principal.id : undefined;
}

const SPIFFE_PREFIX = 'spiffe://';

function identityProblem(spiffe: string, p: UnknownIdentityParams): string | undefined {
  const slash = spiffe.indexOf('/', SPIFFE_PREFIX.length);
  if (!spiffe.toLowerCase().startsWith(SPIFFE_PREFIX) || slash <= SPIFFE_PREFIX.length) return 'not a SPIFFE id';
  const domain = spiffe.slice(SPIFFE_PREFIX.length, slash).toLowerCase();
  if (!p.trustDomains.has(domain)) return `foreign trust domain ${domain}`;
  if (p.identities !== undefined && !p.identities(spiffe)) return 'unexpected identity';
  return undefined;
}
