import { All, Controller, Inject, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { entityRef, resolveClientAddress, type TrustedProxies } from '@ratchet/kernel';
import { RatchetMetrics } from '@ratchet/platform';
import { DecisionMirrorService } from './decision-mirror.service';

export const TRUSTED_PROXIES = Symbol.for('ratchet.TrustedProxies');

/**
 * GET /authz with NGINX `auth_request` semantics: the client comes from `X-Real-IP` /
 * `X-Forwarded-For` (when the caller is a trusted proxy), the request from `X-Original-URI` and
 * `X-Original-Method`. 200 allows, 403 denies; `X-Ratchet-*` headers say which decision and until
 * when. Answered from memory: no network hop per request.
 */
@Controller()
export class AuthzController {
  constructor(
    @Inject(DecisionMirrorService) private readonly decisions: DecisionMirrorService,
    @Inject(TRUSTED_PROXIES) private readonly trusted: TrustedProxies,
    @Inject(RatchetMetrics) private readonly metrics: RatchetMetrics,
  ) {}

  @All('authz')
  authz(@Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    const client = resolveClientAddress(request.socket.remoteAddress ?? '', request.headers, this.trusted);
    const decision = this.decisions.enforced([entityRef('ip', client)]);
    if (!decision) {
      this.metrics.authz.inc({ decision: 'allow' });
      void reply.code(200).header('x-ratchet-decision', 'allow').send();
      return;
    }
    this.metrics.authz.inc({ decision: 'deny' });
    void reply
      .code(403)
      .header('x-ratchet-decision', 'deny')
      .header('x-ratchet-action', decision.action)
      .header('x-ratchet-entity', decision.entity)
      .header('x-ratchet-until', new Date(decision.expiresAt).toISOString())
      .header('x-ratchet-reason', `${decision.reason.chain}/${decision.reason.step}: ${decision.reason.signalType}`)
      .header('cache-control', 'no-store')
      .send();
  }
}
