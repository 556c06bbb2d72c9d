import { All, Controller, Inject, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TrustedProxies } from '@ratchet/kernel';
import { RatchetMetrics } from '@ratchet/platform';
import { CALLER_TOKEN_HEADER, callerCheck, type CallerCheck } from './fast-path/caller-token';
import { failModeFor } from './fast-path/fail-mode';
import { httpAnswer } from './fast-path/fast-path-answer';
import { FAST_PATH_SETTINGS, type FastPathSettings } from './fast-path/fast-path-settings';
import { FastPathService } from './fast-path/fast-path.service';
import { readHttpCheck } from './fast-path/http-check';

export const TRUSTED_PROXIES = Symbol.for('ratchet.TrustedProxies');

/**
 * The fast path over HTTP, answered from memory (rate limits excepted: one Redis script call).
 *
 * `GET /authz` — NGINX `auth_request` and the NGINX Ingress Controller's external auth: the
 * client from `X-Real-IP` / `X-Forwarded-For` (when the caller is a trusted proxy), the request
 * from `X-Original-URI` and `X-Original-Method`. 200 allows, 401 asks for a step-up, 403
 * denies, 429 rate-limits; `X-Ratchet-*` headers say which decision and until when.
 *
 * `/ext_authz/*` — Envoy's `ext_authz` HTTP service: Envoy sends the original method and path
 * under the prefix, with the headers its `allowed_headers` lets through (XFCC for the mTLS
 * principal). Refusals for an unreachable Redis are 503 here (Envoy passes any status on).
 */
@Controller()
export class AuthzController {
  constructor(
    @Inject(FastPathService) private readonly fastPath: FastPathService,
    @Inject(TRUSTED_PROXIES) private readonly trusted: TrustedProxies,
    @Inject(FAST_PATH_SETTINGS) private readonly settings: FastPathSettings,
    @Inject(RatchetMetrics) private readonly metrics: RatchetMetrics,
  ) {
    this.callerAuthenticated = callerCheck(settings.callerToken);
  }

  private readonly callerAuthenticated: CallerCheck;

  @All('authz')
  async authz(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const original = {
      path: firstHeader(request.headers['x-original-uri']) ?? '/',
      method: firstHeader(request.headers['x-original-method']) ?? 'GET',
    };
    await this.answer(request, reply, original, 403, 'authz');
  }

  @All('ext_authz/*')
  async extAuthz(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.answer(request, reply, { path: request.url.slice('/ext_authz'.length) || '/', method: request.method }, 503, 'ext_authz_http');
  }

  private async answer(request: FastifyRequest, reply: FastifyReply, original: { path: string; method: string }, unavailableStatus: 403 | 503, api: string): Promise<void> {
    if (!this.callerAuthenticated(request.headers[CALLER_TOKEN_HEADER])) {
      // Refused like a deny, so a proxy sent without the token fails closed, and told nothing.
      this.metrics.fastPathCallerRefused.inc({ api });
      void reply.code(403).headers({ 'x-ratchet-decision': 'unauthenticated-caller' }).send();
      return;
    }
    const stop = this.metrics.checkSeconds.startTimer({ api });
    const { check, requestedFailMode } = readHttpCheck(request.socket.remoteAddress ?? '', request.headers, original, this.trusted, this.settings);
    const answer = await this.fastPath.check(check, failModeFor(this.settings.failModes, check.path, { requested: requestedFailMode }));
    const { status, headers } = httpAnswer(answer, unavailableStatus);
    stop();
    void reply.code(status).headers(headers).send();
  }
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : value?.[0];
}
