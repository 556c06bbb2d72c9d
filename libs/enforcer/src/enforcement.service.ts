import { Inject, Injectable, Logger } from '@nestjs/common';
import { DECISION_STORE, decideActions, type Allowlist, type CompiledChain, type DecisionStore } from '@ratchet/chains';
import { EVENT_LOG, TOPICS, type EnforcementAction, type EventLog, type RiskScore } from '@ratchet/contracts';
import type { Clock } from '@ratchet/kernel';
import { CLOCK, continueTrace, RatchetMetrics, type DecodedMessage } from '@ratchet/platform';
import { DecisionMirrorService } from './decision-mirror.service';

export const ENFORCER_SETTINGS = Symbol.for('ratchet.EnforcerSettings');

export interface EnforcerSettings {
  chains: readonly CompiledChain[];
  allowlist: Allowlist;
}

/**
 * Turns score updates into decisions: evaluates the chains, stores the decisions (every replica's
 * mirror hears of them by push) and records each on `enforcement.actions`, the audit trail.
 * Idempotent: a redelivered score yields the same action id, and the store keeps the later expiry.
 */
@Injectable()
export class EnforcementService {
  private readonly log = new Logger('enforcer');

  constructor(
    @Inject(ENFORCER_SETTINGS) private readonly settings: EnforcerSettings,
    @Inject(DECISION_STORE) private readonly decisions: DecisionStore,
    @Inject(EVENT_LOG) private readonly eventLog: EventLog,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(RatchetMetrics) private readonly metrics: RatchetMetrics,
    @Inject(DecisionMirrorService) private readonly mirror: DecisionMirrorService,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.eventLog.ensureTopics([TOPICS.enforcementActions]);
  }

  async processBatch(items: ReadonlyArray<DecodedMessage<RiskScore>>): Promise<EnforcementAction[]> {
    const timer = this.metrics.batchSeconds.startTimer({ stage: 'enforcer' });
    const now = this.clock.now();
    const byId = new Map<string, { action: EnforcementAction; headers: Record<string, string> }>();
    for (const item of items) {
      for (const action of decideActions(item.value, this.settings.chains, this.settings.allowlist, now)) {
        byId.set(action.id, { action, headers: continueTrace('enforcer.decide', item.headers) });
      }
    }
    const decided = [...byId.values()];
    if (decided.length > 0) {
      const fresh = decided.filter(({ action }) => !this.mirror.isActive(action));
      await this.decisions.put(decided.map((d) => d.action));
      await this.eventLog.publish(
        TOPICS.enforcementActions,
        decided.map(({ action, headers }) => ({ key: action.entity, value: JSON.stringify(action), headers })),
      );
      for (const { action } of decided) this.metrics.actions.inc({ action: action.action, mode: action.mode });
      // Extensions of a decision in force are on the audit topic; the log tells only what is new.
      for (const { action } of fresh) {
        this.log.log(
          `${action.mode === 'shadow' ? 'would apply' : 'applied'} ${action.action} to ${action.entity} until ${new Date(action.expiresAt).toISOString()} ` +
            `(chain ${action.reason.chain} step ${action.reason.step}: ${action.reason.signalType}, score ${action.reason.score})`,
        );
      }
    }
    timer();
    return decided.map((d) => d.action);
  }
}
