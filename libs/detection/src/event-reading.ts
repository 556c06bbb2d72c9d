import type { AuthEvent, RiskSignal } from '@ratchet/contracts';
import { entityRef, type EntityRef } from '@ratchet/kernel';
import type { StateOp } from './state-store.port';

/**
 * What the ingress, mesh and control-plane detectors read from an event, read the same way by
 * all of them, and the shared empty answers that keep `plan` and `detect` from allocating for the
 * many events they ignore. The empty arrays are frozen: a caller that pushed into one would throw.
 */
export const NO_OPS = Object.freeze([]) as unknown as StateOp[];
export const NO_SIGNALS = Object.freeze([]) as unknown as RiskSignal[];

/**
 * The HTTP status of an access-log event: `target.status`, else the `http <status>` an access-log
 * parser writes as the reason (`http 404`, Envoy's `http 429 RL`). Undefined for events that are not
 * HTTP requests (IdP logins, error-log lines, audit events).
 */
export function httpStatusOf(event: AuthEvent): number | undefined {
  const status = event.target?.status;
  if (status !== undefined) return status;
  const reason = event.reason;
  if (reason === undefined || reason.length < 8 || !reason.startsWith('http ')) return undefined;
  const code = (reason.charCodeAt(5) - 48) * 100 + (reason.charCodeAt(6) - 48) * 10 + (reason.charCodeAt(7) - 48);
  const next = reason.charCodeAt(8);
  return code >= 100 && code <= 599 && (Number.isNaN(next) || next === 32) ? code : undefined;
}

/**
 * File extensions of static assets: pages pull many of them at once, and a missing one is a broken
 * page, not a scan, so probing and crawl detection leave them out (as CrowdSec's `static_ressource`).
 */
export const STATIC_EXTENSIONS: readonly string[] = [
  'css', 'js', 'mjs', 'map', 'json', 'png', 'jpg', 'jpeg', 'gif', 'webp', 'avif', 'svg', 'ico', 'bmp',
  'woff', 'woff2', 'ttf', 'otf', 'eot', 'mp4', 'webm', 'mp3', 'ogg', 'wav',
];
const STATIC = new Set(STATIC_EXTENSIONS);

/** Whether the path's last segment ends in a static-asset extension (case-insensitive). */
export function isStaticPath(path: string, extensions: ReadonlySet<string> = STATIC): boolean {
  const dot = path.lastIndexOf('.');
  if (dot < 0 || dot < path.lastIndexOf('/')) return false;
  return extensions.has(path.slice(dot + 1).toLowerCase());
}

/** `ip:<address>`; admission already wrote the address in its canonical spelling. Undefined without one. */
export function addressEntityOf(event: AuthEvent): EntityRef | undefined {
  const ip = event.client?.ip;
  return ip === undefined ? undefined : entityRef('ip', ip);
}

/** `user:<id>` or `svc:<id>` for a named user or service principal; undefined for anonymous or unnamed ones. */
export function principalEntityOf(event: AuthEvent): EntityRef | undefined {
  const principal = event.principal;
  if (principal === undefined || principal.id === undefined) return undefined;
  if (principal.type === 'user') return entityRef('user', principal.id);
  if (principal.type === 'service') return entityRef('svc', principal.id);
  return undefined;
}

/** The calling workload in the mesh: its SPIFFE id, else the id of a service principal. */
export function workloadOf(event: AuthEvent): string | undefined {
  const principal = event.principal;
  if (principal === undefined) return undefined;
  return principal.spiffeId ?? (principal.type === 'service' ? principal.id : undefined);
}

export function hasFact(event: AuthEvent, fact: NonNullable<AuthEvent['facts']>[number]): boolean {
  return event.facts !== undefined && event.facts.includes(fact);
}

/** Confidence of a count that reached its threshold: 0.5 at the threshold, 1 at twice it (as `thresholdSignal`). */
export function thresholdConfidence(count: number, threshold: number): number {
  return 0.5 + 0.5 * Math.min(1, count / (threshold * 2));
}
