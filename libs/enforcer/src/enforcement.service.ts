import { Inject, Injectable, Logger, Optional, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import {
  ActionCapGuard,
  actionIdsInForce,
  DECISION_STORE,
  evaluateChains,
  MemoryChainRuns,
  relaxChains,
  type ActionCaps,
  type Allowlist,
  type ChainOutcome,
  type DecisionStore,
} from '@ratchet/chains';
import { EVENT_LOG, TOPICS, type EnforcementAction, type EventLog, type RiskScore } from '@ratchet/contracts';
import { errorMessage, type Clock, type EntityRef } from '@ratchet/kernel';
import { CLOCK, continueTrace, RatchetMetrics, type DecodedMessage } from '@ratchet/platform';
import { decay, type RiskModel } from '@ratchet/risk';
import { ChainSetService } from './chain-set.service';
import { DecisionMirrorService } from './decision-mirror.service';
import { WebhookSender } from './webhooks/webhook-sender.service';

export const ENFORCER_SETTINGS = Symbol.for('ratchet.EnforcerSettings');

export interface EnforcerSettings {
  allowlist: Allowlist;
  caps: ActionCaps;
  /** The scorer's risk model: the relax tick decays an entity's last score with its half-lives. */
  riskModel: RiskModel;
  /** How often entities with actions in force but no score update are checked for relaxing. */
  relaxEveryMs: number;
}

type Recorded = { action: EnforcementAction; headers: Record<string, string> };

/**
 * Turns score updates into decisions: runs the chains (escalation, cooldown, relax, guards),
 * stores the enforced decisions (every replica's mirror hears of them by push; shadow ones are
 * only recorded), records every action, revert and refusal on `enforcement.actions` and hands
 * the new ones to the webhooks (`WebhookSender`, which sends them without holding the batch).
 *
 * Relax needs the entity's score over time: each update brings it, and a periodic tick decays
 * the last one seen (with the risk model's half-lives) for entities that receive none. Chain runs
 * are in memory: risk scores are keyed by entity, so each replica holds the runs of its entities.
 */
@Injectable()
export class EnforcementService implements OnModuleInit, OnApplicationShutdown {
  private readonly log = new Logger('enforcer');
  private readonly runs = new MemoryChainRuns();
  private readonly caps: ActionCapGuard;
  private readonly lastScores = new Map<EntityRef, RiskScore>();
  private tickTimer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> = Promise.resolve();

  constructor(
    @Inject(ENFORCER_SETTINGS) private readonly settings: EnforcerSettings,
    @Inject(ChainSetService) private readonly chainSet: ChainSetService,
    @Inject(DECISION_STORE) private readonly decisions: DecisionStore,
    @Inject(EVENT_LOG) private readonly eventLog: EventLog,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(RatchetMetrics) private readonly metrics: RatchetMetrics,
    @Inject(DecisionMirrorService) private readonly mirror: DecisionMirrorService,
    /** Present when RATCHET_WEBHOOKS names receivers: `notify` and `session.revoke` call out. */
    @Optional() @Inject(WebhookSender) private readonly webhooks?: Pick<WebhookSender, 'dispatch'>,
  ) {
    this.caps = new ActionCapGuard(settings.caps);
  }

  async onModuleInit(): Promise<void> {
    await this.eventLog.ensureTopics([TOPICS.enforcementActions]);
    this.tickTimer = setInterval(() => {
      this.ticking = this.ticking.then(async () => void (await this.relaxQuietEntities())).catch((err: unknown) => this.log.error(`relax tick failed: ${errorMessage(err)}`));
    }, this.settings.relaxEveryMs);
    this.tickTimer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.tickTimer) clearInterval(this.tickTimer);
    await this.ticking;
  }

  async processBatch(items: ReadonlyArray<DecodedMessage<RiskScore>>): Promise<EnforcementAction[]> {
    const timer = this.metrics.batchSeconds.startTimer({ stage: 'enforcer' });
    const now = this.clock.now();
    const chains = this.chainSet.chains();
    const recorded: Recorded[] = [];
    const fresh = new Set<EnforcementAction>();
    // Counted once a batch; the actions this batch starts are added as they come.
    let activeActions = this.mirror.countActive(false);
    for (const item of items) {
      const score = item.value;
      const held = actionIdsInForce(this.runs, score.entity, now);
      const outcome = evaluateChains(score, { chains, runs: this.runs, allowlist: this.settings.allowlist, caps: this.caps, activeActions, now, inForce: held });
      const headers = continueTrace('enforcer.decide', item.headers);
      for (const action of listed(outcome)) {
        recorded.push({ action, headers });
        if (action.state !== 'applied' || !held.has(action.id)) fresh.add(action);
        if (action.state === 'applied' && action.mode === 'enforce' && !held.has(action.id)) activeActions++;
      }
      if (this.runs.ofEntity(score.entity).size > 0) this.lastScores.set(score.entity, score);
    }
    await this.record(recorded, fresh);
    timer();
    return recorded.map((r) => r.action);
  }

  /** The relax tick: every entity with a chain run, its last score decayed to now. */
  async relaxQuietEntities(): Promise<EnforcementAction[]> {
    const now = this.clock.now();
    const chains = this.chainSet.chains();
    const recorded: Recorded[] = [];
    for (const entity of this.runs.entities()) {
      const last = this.lastScores.get(entity);
      const score = last ? decayedScore(last, now, this.settings.riskModel) : 0;
      for (const action of relaxChains(entity, score, { chains, runs: this.runs, allowlist: this.settings.allowlist, now })) {
        recorded.push({ action, headers: {} });
      }
    }
    for (const entity of this.lastScores.keys()) if (this.runs.ofEntity(entity).size === 0) this.lastScores.delete(entity);
    await this.record(recorded, new Set(recorded.map((r) => r.action)));
    return recorded.map((r) => r.action);
  }

  private async record(recorded: readonly Recorded[], fresh: ReadonlySet<EnforcementAction>): Promise<void> {
    if (recorded.length === 0) return;
    // Shadow actions decide and record but touch nothing: they never reach the decision store.
    const stored = recorded.map((r) => r.action).filter((a) => a.mode === 'enforce' && a.state !== 'failed');
    await this.decisions.put(stored);
    await this.eventLog.publish(
      TOPICS.enforcementActions,
      recorded.map(({ action, headers }) => ({ key: action.entity, value: JSON.stringify(action), headers })),
    );
    for (const { action } of recorded) if (action.state === 'applied') this.metrics.actions.inc({ action: action.action, mode: action.mode });
    // Once recorded, changes (not extensions) go out to the webhooks in the background.
    this.webhooks?.dispatch(recorded.map((r) => r.action).filter((a) => fresh.has(a)));
    // Extensions of an action in force are on the audit topic; the log tells only what changed.
    for (const { action } of recorded) if (fresh.has(action)) this.log.log(describe(action));
  }
}

function listed(outcome: ChainOutcome): EnforcementAction[] {
  return [...outcome.applied, ...outcome.reverted, ...outcome.failed];
}

function describe(action: EnforcementAction): string {
  const why = `(chain ${action.reason.chain} step ${action.reason.step}: ${action.reason.signalType}, score ${action.reason.score})`;
  switch (action.state) {
    case 'applied':
      return `${action.mode === 'shadow' ? 'would apply' : 'applied'} ${action.action} to ${action.entity} until ${new Date(action.expiresAt).toISOString()} ${why}`;
    case 'reverted':
      return `${action.mode === 'shadow' ? 'would revert' : 'reverted'} ${action.action} on ${action.entity} ${why}`;
    case 'failed':
      return `refused ${action.action} on ${action.entity}: ${action.failure?.reason ?? 'failed'}: ${action.failure?.detail ?? ''} ${why}`;
  }
}

/** The entity's score at `now` from its last update's contributions, each decaying at its type's half-life. */
function decayedScore(last: RiskScore, now: number, model: RiskModel): number {
  let total = 0;
  for (const c of last.contributions) {
    const { halfLifeMs } = model.weights[c.type] ?? model.fallback;
    total += decay(c.weight, Math.max(0, now - c.at), halfLifeMs);
  }
  return Math.min(100, total);
}
