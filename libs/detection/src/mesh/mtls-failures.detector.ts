import type { AuthEvent } from '@ratchet/contracts';
import { entityRef, type EntityRef } from '@ratchet/kernel';
import { countingDetector } from '../counting-detector';
import { hasFact, workloadOf } from '../event-reading';

/**
 * Repeated mutual-TLS failures from one peer: a stolen or forged certificate being tried, a
 * workload outside the mesh knocking, or an expired certificate (worth knowing, and it retries
 * without end). A single failure happens on every certificate rotation, hence a burst: 10 in 5m.
 * A failure is the source fact `mtls-failure`, or the reasons the NGINX and Envoy parsers give
 * (`mtls handshake failed: …`, `mtls client certificate rejected|missing`). The peer is the
 * workload when the event names one (`svc:`), else the address (`ip:`).
 */
export const meshMtlsFailuresDetector = countingDetector({
  id: 'mesh.mtls-failures',
  signalType: 'mesh_mtls_failure',
  summary: 'A peer (workload, else address) failed mutual TLS `threshold` times within `window` (defaults: 10 in 5m)',
  defaults: { threshold: 10, windowMs: 5 * 60_000 },
  severity: 0.6,
  countName: 'failures',
  subjectOf: (event) => (isMtlsFailure(event) ? peerOf(event) : undefined),
});

function isMtlsFailure(event: AuthEvent): boolean {
  return hasFact(event, 'mtls-failure') || (event.outcome === 'failure' && event.reason !== undefined && event.reason.startsWith('mtls '));
}

function peerOf(event: AuthEvent): EntityRef | undefined {
  const workload = workloadOf(event);
  if (workload !== undefined) return entityRef('svc', workload);
  const ip = event.client?.ip;
  return ip === undefined ? undefined : entityRef('ip', ip);
}
