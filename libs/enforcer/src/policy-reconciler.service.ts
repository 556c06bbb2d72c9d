import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { EVENT_LOG, failedActionMessage, TOPICS, type EnforcementAction, type EventLog } from '@ratchet/contracts';
import { errorMessage } from '@ratchet/kernel';
import type { PolicyOutcome } from '@ratchet/platform/kubernetes';
import { DecisionMirrorService } from './decision-mirror.service';

export const POLICY_RECONCILER = Symbol.for('ratchet.PolicyReconciler');

/** What the enforcer needs of the policy applier (`KubernetesPolicyApplier`, or a stand-in in tests). */
export interface PolicyReconciler {
  /** Refuses a configured target the cluster does not serve. */
  verifyTargets(): Promise<void>;
  reconcile(active: readonly EnforcementAction[]): Promise<PolicyOutcome[]>;
}

export interface PolicyReconcilerSettings {
  reconciler: PolicyReconciler;
  /** Between passes. The decisions' own push does not wait for it: `/authz` never does. */
  intervalMs: number;
}

/**
 * The policy path's loop: every `intervalMs`, renders the decisions in force (this replica's
 * mirror) on the configured targets and makes the cluster match. It runs beside `/authz`, never
 * in front of it: a slow or failing API server delays Kubernetes objects, not answers. A change
 * that fails is recorded on `enforcement.actions` as the action with `state: failed` and the
 * reason in its `failure` (and the `ratchet-reason` header) — once per distinct reason, not every pass.
 */
@Injectable()
export class PolicyReconcilerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('policy');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** Last failure reported per action and target, so a persisting one is reported once. */
  private readonly reported = new Map<string, string>();

  constructor(
    @Inject(POLICY_RECONCILER) private readonly settings: PolicyReconcilerSettings,
    @Inject(DecisionMirrorService) private readonly mirror: Pick<DecisionMirrorService, 'active'>,
    @Inject(EVENT_LOG) private readonly eventLog: EventLog,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // At load: a target whose CRDs are missing stops the process with a message naming it.
    await this.settings.reconciler.verifyTargets();
    this.timer = setInterval(() => void this.reconcileNow(), this.settings.intervalMs);
    this.timer.unref();
    void this.reconcileNow();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One pass; a pass already running is joined, not doubled. Resolves when it is done. */
  reconcileNow(): Promise<void> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<void> {
    const active = this.mirror.active();
    let outcomes: PolicyOutcome[];
    try {
      outcomes = await this.settings.reconciler.reconcile(active);
    } catch (err) {
      this.log.warn(`policy reconcile failed: ${errorMessage(err)}`);
      return;
    }
    const byId = new Map(active.map((a) => [a.id, a]));
    const failed: Array<{ action: EnforcementAction; reason: string }> = [];
    for (const outcome of outcomes) {
      const key = `${outcome.actionId}\u0000${outcome.target}`;
      if (outcome.state === 'reverted') this.log.log(`removed ${outcome.object ?? ''} (${outcome.actionId} no longer in force)`);
      if (outcome.state !== 'failed') {
        if (outcome.state === 'applied' && this.reported.delete(key)) this.log.log(`applied ${outcome.object ?? ''} for ${outcome.actionId} on ${outcome.target}`);
        continue;
      }
      const reason = `${outcome.target}: ${outcome.reason ?? 'failed'}`;
      if (this.reported.get(key) === reason) continue;
      this.reported.set(key, reason);
      this.log.warn(`could not apply ${outcome.actionId} — ${reason}`);
      const action = byId.get(outcome.actionId);
      if (action) failed.push({ action, reason });
    }
    if (failed.length === 0) return;
    try {
      await this.eventLog.publish(
        TOPICS.enforcementActions,
        failed.map(({ action, reason }) => failedActionMessage(action, { reason: 'policy', detail: reason })),
      );
    } catch (err) {
      this.log.warn(`could not record failed actions: ${errorMessage(err)}`);
    }
  }
}
