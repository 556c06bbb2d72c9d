import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { ActionKind, ActionParams, ActionReason, ActionState, EnforcementAction } from '@ratchet/contracts';
import { parseEntityRef, type EntityRef } from '@ratchet/kernel';

/**
 * What a webhook carries, built from an enforcement action: a JSON body for plain receivers and a
 * CAEP `session-revoked` Security Event Token for receivers that speak the Shared Signals
 * Framework. Pure: the time to sign at comes from the caller; only hashing, no I/O.
 */

/** The actions that call out; every other kind is carried out by `/authz` or the policy path. */
export const WEBHOOK_ACTIONS = ['notify', 'session.revoke'] as const satisfies readonly ActionKind[];
export type WebhookAction = (typeof WEBHOOK_ACTIONS)[number];

export function isWebhookAction(kind: ActionKind): kind is WebhookAction {
  return (WEBHOOK_ACTIONS as readonly ActionKind[]).includes(kind);
}

/** The JSON body a plain receiver gets. Times are ISO-8601 so a human reading a chat message can too. */
export interface WebhookBody {
  /** The delivery id: one per action, state and decision; repeated on every retry (dedup on it). */
  id: string;
  action: ActionKind;
  state: ActionState;
  entity: EntityRef;
  params: ActionParams;
  reason: ActionReason;
  decidedAt: string;
  expiresAt: string;
}

/**
 * One delivery per action id, state and decision time: an action decided again after a revert
 * is a new delivery, a retry or a second look at the same record is not. Used as the JSON body's
 * `id`, the `X-Ratchet-Delivery` header and the SET's `jti`, so a receiver can deduplicate.
 */
export function deliveryId(action: Pick<EnforcementAction, 'id' | 'state' | 'decidedAt'>): string {
  return createHash('sha256').update(`${action.id}\u0000${action.state}\u0000${action.decidedAt}`).digest('base64url').slice(0, 32);
}

export function webhookBody(action: EnforcementAction): WebhookBody {
  return {
    id: deliveryId(action),
    action: action.action,
    state: action.state,
    entity: action.entity,
    params: action.params ?? {},
    reason: action.reason,
    decidedAt: new Date(action.decidedAt).toISOString(),
    expiresAt: new Date(action.expiresAt).toISOString(),
  };
}

/** The signature header of a plain webhook. */
export const SIGNATURE_HEADER = 'x-ratchet-signature';
/** How far a signature's timestamp may be from the receiver's clock before it is a replay. */
export const SIGNATURE_TOLERANCE_S = 300;

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`: signing the timestamp with the body
 * lets a receiver refuse an old request replayed with its valid signature.
 */
export function signWebhook(body: string, secret: string, timestampS: number): string {
  return `t=${timestampS},v1=${hmacHex(secret, `${timestampS}.${body}`)}`;
}

export type SignatureCheck = { ok: true; timestampS: number } | { ok: false; problem: string };

/**
 * What a receiver does with `X-Ratchet-Signature`: recompute the HMAC over the raw body it read
 * (before any JSON parsing), compare in constant time, refuse timestamps further than
 * `toleranceS` from its own clock. Exported for receivers written in TypeScript and for tests.
 */
export function verifyWebhookSignature(header: string | undefined, body: string, secret: string, nowS: number, toleranceS = SIGNATURE_TOLERANCE_S): SignatureCheck {
  if (!header) return { ok: false, problem: 'no signature header' };
  const parts = new Map(header.split(',').map((p) => p.trim().split('=', 2) as [string, string | undefined]));
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1');
  if (!Number.isInteger(t) || !v1) return { ok: false, problem: 'signature header must be t=<seconds>,v1=<hex>' };
  if (Math.abs(nowS - t) > toleranceS) return { ok: false, problem: `timestamp ${t} is more than ${toleranceS} s from now` };
  if (!equalHex(v1, hmacHex(secret, `${t}.${body}`))) return { ok: false, problem: 'signature does not match the body' };
  return { ok: true, timestampS: t };
}

// ---------------------------------------------------------------------------------------------
// Shared Signals / CAEP

export const CAEP_SESSION_REVOKED = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked';
/** RFC 8417 §2.3: explicit typing, so a SET is never mistaken for an ID or access token. */
export const SET_TYPE = 'secevent+jwt';
/** RFC 8935 push delivery's media type. */
export const SET_MEDIA_TYPE = 'application/secevent+jwt';

/** A subject identifier (RFC 9493, as the Shared Signals Framework uses them). */
export type SubjectIdentifier = { format: 'email'; email: string } | { format: 'uri'; uri: string } | { format: 'opaque'; id: string };

/**
 * The entity as a subject identifier: a user with an address is `email`, a SPIFFE workload `uri`,
 * anything else (a user name, a token or session id, an address, a device) `opaque` with its id.
 */
export function subjectIdentifier(entity: EntityRef): SubjectIdentifier {
  const parsed = parseEntityRef(entity);
  const id = parsed?.id ?? entity;
  if (parsed?.kind === 'user' && /^[^@\s]+@[^@\s]+$/.test(id)) return { format: 'email', email: id };
  if (parsed?.kind === 'svc' && /^[a-z][a-z0-9+.-]*:/i.test(id)) return { format: 'uri', uri: id };
  return { format: 'opaque', id };
}

export interface SetClaims {
  iss: string;
  aud: string;
  iat: number;
  jti: string;
  /** SSF 1.0: the subject at the top level of the SET. */
  sub_id: SubjectIdentifier;
  events: Record<string, CaepSessionRevoked>;
}

/** CAEP 1.0 session-revoked; `subject` repeats `sub_id` for receivers built on the drafts that put it in the event. */
export interface CaepSessionRevoked {
  subject: SubjectIdentifier;
  event_timestamp: number;
  initiating_entity: 'policy';
  reason_admin: { en: string };
}

export interface SetIssuer {
  /** `iss`: who Ratchet is to the receiver. */
  issuer: string;
  /** `aud`: the receiver. */
  audience: string;
  /** HS256 key: the receiver's shared secret. */
  secret: string;
}

/** The claims of the SET for a `session.revoke` decision; `iatS` is the signing time in seconds. */
export function sessionRevokedClaims(action: EnforcementAction, issuer: Pick<SetIssuer, 'issuer' | 'audience'>, iatS: number): SetClaims {
  const subject = subjectIdentifier(action.entity);
  const { chain, step, signalType, score } = action.reason;
  return {
    iss: issuer.issuer,
    aud: issuer.audience,
    iat: iatS,
    jti: deliveryId(action),
    sub_id: subject,
    events: {
      [CAEP_SESSION_REVOKED]: {
        subject,
        event_timestamp: Math.floor(action.decidedAt / 1000),
        initiating_entity: 'policy',
        reason_admin: { en: `Ratchet chain ${chain} step ${step}: ${signalType} (risk ${score})` },
      },
    },
  };
}

/**
 * The SET as a compact JWS, HS256 over the receiver's shared secret: the receiver already holds
 * that secret for the plain webhooks, so there are no keys to publish (asymmetric signing with a
 * JWKS is what a full SSF transmitter would add).
 */
export function signSet(claims: SetClaims, secret: string): string {
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: SET_TYPE }));
  const payload = base64url(JSON.stringify(claims));
  return `${header}.${payload}.${createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url')}`;
}

export type SetCheck = { ok: true; header: Record<string, unknown>; claims: Record<string, unknown> } | { ok: false; problem: string };

/** Verifies an HS256 SET's signature and `typ`, and decodes it; what a receiver (and a test) does. */
export function verifySet(token: string, secret: string): SetCheck {
  const [header, payload, signature, extra] = token.split('.');
  if (header === undefined || payload === undefined || signature === undefined || extra !== undefined) return { ok: false, problem: 'not a compact JWS' };
  const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  const a = Buffer.from(signature);
  const b = Buffer.from(expected);
  if (a.length !== b.length || !timingSafeEqual(a, b)) return { ok: false, problem: 'signature does not match' };
  try {
    const h = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (h['alg'] !== 'HS256' || h['typ'] !== SET_TYPE) return { ok: false, problem: `header must be alg HS256, typ ${SET_TYPE}` };
    return { ok: true, header: h, claims: JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown> };
  } catch {
    return { ok: false, problem: 'header or payload is not base64url JSON' };
  }
}

function hmacHex(secret: string, text: string): string {
  return createHmac('sha256', secret).update(text).digest('hex');
}

function equalHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}
