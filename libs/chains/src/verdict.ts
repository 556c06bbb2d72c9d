import type { ActionKind, EnforcementAction } from '@ratchet/contracts';
import { entityRef, type EntityRef } from '@ratchet/kernel';
import { ACTION_CATALOGUE } from './action-catalogue';

/**
 * What a proxy asks before forwarding one request (NGINX `auth_request`, Envoy `ext_authz`).
 * Every field but `clientIp` may be absent: a request without mTLS has no principal, an
 * anonymous one no subject.
 */
export interface CheckRequest {
  /** The client address the proxy saw (after its trusted-proxy rules). */
  clientIp: string;
  /** The peer's mTLS identity, a SPIFFE id (`spiffe://cluster.local/ns/shop/sa/cart`). */
  principal?: string;
  /** The `sub` of the request's verified JWT. */
  subject?: string;
  /** The request path, query included or not (only its path is matched). */
  path: string;
  method: string;
  host?: string;
}

/** The fast path's answer. The strictest applicable decision wins: deny > rate-limit > step-up. */
export type Verdict =
  | { outcome: 'allow' }
  | { outcome: 'deny'; decision: EnforcementAction }
  | { outcome: 'rate-limit'; decision: EnforcementAction; retryAfterMs: number }
  | { outcome: 'step-up'; decision: EnforcementAction; acr?: string };

/** One token bucket a request must take from: per decision (so per entity and action). */
export interface RateLimit {
  /** The bucket's key: the decision id (`ingress.rate-limit|ip:203.0.113.7`). */
  key: string;
  /** Tokens added per second (`params.rps`). */
  ratePerSecond: number;
  /** Bucket size (`params.burst`, default `rps` rounded up, at least 1). */
  burst: number;
  /** Bucket state may be forgotten after this (when the decision expires). */
  expiresAt: number;
  decision: EnforcementAction;
}

/** What one bucket answered. */
export interface BucketAnswer {
  allowed: boolean;
  /** When refused: how long until a token is there again. */
  retryAfterMs: number;
}

/**
 * A verdict before rate limits are settled: `verdict` holds if every limit in `limits` still
 * has a token. `limits` is empty when the verdict is a deny (no token is spent on a refusal).
 */
export interface Judgement {
  verdict: Verdict;
  limits: RateLimit[];
}

/**
 * The action kinds the fast path answers, as the action catalogue describes them: those it renders
 * to `authz` or `ext_authz`, refused outright when the action `denies` (a quarantined workload or
 * address is refused at every proxy as well as cut off by its NetworkPolicy). The rest act
 * elsewhere: a revocation at the IdP (webhook, CAEP), mTLS in the mesh's own policy, a
 * notification, a certificate.
 */
const FAST_PATH_ACTIONS: ReadonlySet<ActionKind> = new Set(ACTION_CATALOGUE.filter((a) => a.targets.includes('authz') || a.targets.includes('ext_authz')).map((a) => a.id));
const DENYING: ReadonlySet<ActionKind> = new Set(ACTION_CATALOGUE.filter((a) => a.denies).map((a) => a.id));

/**
 * The entities a request is about: its address, its mTLS principal (`svc:<spiffe id>`) and its
 * JWT subject (`user:<sub>`). Decisions against any of them apply.
 */
export function checkEntities(check: CheckRequest): EntityRef[] {
  const entities: EntityRef[] = [entityRef('ip', check.clientIp)];
  if (check.principal) entities.push(entityRef('svc', check.principal));
  if (check.subject) entities.push(entityRef('user', check.subject));
  return entities;
}

/**
 * Judges one request against decisions in force (typically what the mirror holds on
 * `checkEntities(check)`). Pure: `now` is the caller's. Decisions on other entities, shadow
 * decisions, expired ones, kinds the fast path does not answer, and decisions scoped
 * (`params.path`) to another path prefix are ignored. Among denials and step-ups the
 * longest-lasting is reported.
 */
export function judgeRequest(check: CheckRequest, decisions: readonly EnforcementAction[], now: number): Judgement {
  const path = pathOf(check.path);
  const entities = checkEntities(check);
  let deny: EnforcementAction | undefined;
  let stepUp: EnforcementAction | undefined;
  const limits: RateLimit[] = [];
  for (const decision of decisions) {
    if (decision.mode !== 'enforce' || decision.expiresAt <= now || !FAST_PATH_ACTIONS.has(decision.action)) continue;
    if (!entities.includes(decision.entity)) continue;
    if (!appliesToPath(decision, path)) continue;
    if (DENYING.has(decision.action)) {
      if (!deny || decision.expiresAt > deny.expiresAt) deny = decision;
      continue;
    }
    switch (decision.action) {
      case 'ingress.rate-limit': {
        const limit = rateLimitOf(decision);
        if (limit) limits.push(limit);
        break;
      }
      case 'ingress.step-up':
        if (!stepUp || decision.expiresAt > stepUp.expiresAt) stepUp = decision;
        break;
      default:
        break;
    }
  }
  if (deny) return { verdict: { outcome: 'deny', decision: deny }, limits: [] };
  if (stepUp) {
    const acr = stepUp.params?.['acr'];
    return { verdict: typeof acr === 'string' ? { outcome: 'step-up', decision: stepUp, acr } : { outcome: 'step-up', decision: stepUp }, limits };
  }
  return { verdict: { outcome: 'allow' }, limits };
}

/**
 * The final verdict once each of `judgement.limits` was taken from (`answers` in the same
 * order): any refusal makes it a rate limit, with the longest wait of the refusing buckets.
 */
export function settleVerdict(judgement: Judgement, answers: readonly BucketAnswer[]): Verdict {
  let refused: { limit: RateLimit; retryAfterMs: number } | undefined;
  judgement.limits.forEach((limit, i) => {
    const answer = answers[i];
    if (!answer || answer.allowed) return;
    if (!refused || answer.retryAfterMs > refused.retryAfterMs) refused = { limit, retryAfterMs: answer.retryAfterMs };
  });
  return refused ? { outcome: 'rate-limit', decision: refused.limit.decision, retryAfterMs: refused.retryAfterMs } : judgement.verdict;
}

/** A rate-limit decision's bucket; undefined when `params.rps` is not a positive number. */
function rateLimitOf(decision: EnforcementAction): RateLimit | undefined {
  const rps = decision.params?.['rps'];
  if (typeof rps !== 'number' || !(rps > 0)) return undefined;
  const burst = decision.params?.['burst'];
  return {
    key: decision.id,
    ratePerSecond: rps,
    burst: typeof burst === 'number' && burst >= 1 ? Math.floor(burst) : Math.max(1, Math.ceil(rps)),
    expiresAt: decision.expiresAt,
    decision,
  };
}

/**
 * `params.path` scopes a decision to a path prefix on segment boundaries: `/admin` covers
 * `/admin` and `/admin/users`, not `/administrator`. No `path` means every path.
 */
function appliesToPath(decision: EnforcementAction, path: string): boolean {
  const scope = decision.params?.['path'];
  return typeof scope !== 'string' || underPrefix(path, scope);
}

/** Whether `path` is `prefix` or below it, on whole segments (`/admin` covers `/admin/users`, not `/administrator`); `/` and `` cover every path. */
export function underPrefix(path: string, prefix: string): boolean {
  if (prefix === '' || prefix === '/') return true;
  const bare = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  return path === bare || path.startsWith(`${bare}/`);
}

/** The path without query or fragment; `/` when empty. */
export function pathOf(raw: string): string {
  const end = raw.search(/[?#]/);
  const path = end < 0 ? raw : raw.slice(0, end);
  return path === '' ? '/' : path;
}
