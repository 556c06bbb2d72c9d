import { Inject, Injectable, Logger } from '@nestjs/common';
import { checkEntities, judgeRequest, settleVerdict, TOKEN_BUCKETS, type CheckRequest, type TokenBuckets } from '@ratchet/chains';
import type { Clock } from '@ratchet/kernel';
import { errorMessage } from '@ratchet/kernel';
import { CLOCK, RatchetMetrics } from '@ratchet/platform';
import { DecisionMirrorService } from '../decision-mirror.service';
import type { FastPathAnswer } from './fast-path-answer';
import type { FailMode } from './fail-mode';

/** Warn about an unreachable bucket store at most this often. */
const WARN_EVERY_MS = 10_000;

/**
 * Answers one per-request check, for `/authz` and both `ext_authz` flavours: the verdict over
 * the mirror's decisions on the request's address, principal and subject, with rate limits
 * taken from the shared token buckets. When Redis cannot be reached, the request's fail mode
 * decides: `open` answers from the last known decisions without rate limits, `closed` refuses.
 */
@Injectable()
export class FastPathService {
  private readonly log = new Logger('fast-path');
  private lastWarning = 0;

  constructor(
    @Inject(DecisionMirrorService) private readonly decisions: DecisionMirrorService,
    @Inject(TOKEN_BUCKETS) private readonly buckets: TokenBuckets,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(RatchetMetrics) private readonly metrics: RatchetMetrics,
  ) {}

  async check(request: CheckRequest, failMode: FailMode): Promise<FastPathAnswer> {
    const answer = await this.answer(request, failMode);
    this.metrics.authz.inc({ decision: answer.outcome });
    return answer;
  }

  private async answer(request: CheckRequest, failMode: FailMode): Promise<FastPathAnswer> {
    const now = this.clock.now();
    const stale = this.decisions.staleSince();
    if (stale !== undefined && failMode === 'closed') {
      return { outcome: 'unavailable', reason: `decision store unreachable since ${new Date(stale).toISOString()}; this route fails closed` };
    }
    const judgement = judgeRequest(request, this.decisions.enforcedAll(checkEntities(request)), now);
    if (judgement.limits.length === 0) return judgement.verdict;
    try {
      return settleVerdict(judgement, await this.buckets.take(judgement.limits));
    } catch (err) {
      this.warn(`rate-limit buckets unreachable; ${failMode === 'open' ? 'skipping rate limits' : 'refusing'} on fail-${failMode} routes: ${errorMessage(err)}`);
      return failMode === 'open' ? judgement.verdict : { outcome: 'unavailable', reason: 'rate-limit buckets unreachable; this route fails closed' };
    }
  }

  private warn(message: string): void {
    const now = this.clock.now();
    if (now - this.lastWarning < WARN_EVERY_MS) return;
    this.lastWarning = now;
    this.log.warn(message);
  }
}
