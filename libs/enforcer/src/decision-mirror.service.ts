import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { DECISION_STORE, DecisionMirror, type DecisionStore, type UnreadableDecision } from '@ratchet/chains';
import type { EnforcementAction } from '@ratchet/contracts';
import { errorMessage, type Clock, type EntityRef } from '@ratchet/kernel';
import { CLOCK, RatchetMetrics, Readiness } from '@ratchet/platform';

/** How often the mirror re-reads the store, besides the push. */
const RESYNC_EVERY_MS = 5_000;
/** Unreadable record ids remembered as logged; beyond it, they are logged again. */
const MAX_REPORTED = 1_000;

/**
 * Keeps this replica's in-memory copy of the decision store: subscribes first, then loads what is
 * stored, so no decision made in between is missed. `/authz` reads only this copy.
 */
@Injectable()
export class DecisionMirrorService implements OnModuleInit, OnApplicationShutdown {
  private readonly mirror = new DecisionMirror();
  private readonly log = new Logger('decisions');
  private watch: { close(): Promise<void> } | undefined;
  private purgeTimer: NodeJS.Timeout | undefined;
  private loaded = false;
  /** When the store first failed a re-read since the last one that worked; undefined while reachable. */
  private unreachableSince: number | undefined;
  /** Ids of the unreadable records already logged, so that a re-read every few seconds logs each once. */
  private readonly reported = new Set<string | undefined>();

  constructor(
    @Inject(DECISION_STORE) private readonly store: DecisionStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(RatchetMetrics) private readonly metrics: RatchetMetrics,
    @Inject(Readiness) readiness: Readiness,
  ) {
    readiness.register('decisions', () => this.loaded);
  }

  async onModuleInit(): Promise<void> {
    this.watch = await this.store.watch(
      (action) => this.mirror.apply(action),
      (record) => this.report(record, 'pushed'),
    );
    this.load(await this.readActive());
    this.loaded = true;
    // Push keeps the copy fresh; a periodic re-read repairs what a dropped push (Redis pub/sub
    // while reconnecting) would otherwise leave out.
    this.purgeTimer = setInterval(() => void this.resync(), RESYNC_EVERY_MS);
    this.purgeTimer.unref();
  }

  /**
   * Re-reads the store into the mirror and forgets expired decisions. Resolves false when the
   * store could not be read: from then until a re-read works, `staleSince` says since when.
   */
  async resync(): Promise<boolean> {
    let reachable = true;
    try {
      this.load(await this.readActive());
      this.unreachableSince = undefined;
    } catch (err) {
      reachable = false;
      this.unreachableSince ??= this.clock.now();
      this.log.warn(`decision store unreachable; answering from the last known decisions (fail-open routes) or refusing (fail-closed routes): ${errorMessage(err)}`);
    }
    this.mirror.purge(this.clock.now());
    this.metrics.activeDecisions.set(this.mirror.countActive(this.clock.now()));
    return reachable;
  }

  /**
   * The stored decisions, leaving out the records that are not decisions. One such record must
   * not stop a replica from starting or count as the store being unreachable, which would refuse
   * everyone on fail-closed routes: it is logged once with its id and counted
   * (`ratchet_enforcer_unreadable_decisions`), and the rest are enforced.
   */
  private async readActive(): Promise<{ actions: EnforcementAction[]; unreadable: number }> {
    let unreadable = 0;
    const actions = await this.store.active(this.clock.now(), (record) => {
      unreadable++;
      this.report(record, 'stored');
    });
    return { actions, unreadable };
  }

  private load(read: { actions: EnforcementAction[]; unreadable: number }): void {
    for (const action of read.actions) this.mirror.apply(action);
    this.metrics.unreadableDecisions.set(read.unreadable);
  }

  private report(record: UnreadableDecision, how: 'stored' | 'pushed'): void {
    if (this.reported.has(record.id)) return;
    if (this.reported.size >= MAX_REPORTED) this.reported.clear();
    this.reported.add(record.id);
    this.log.error(`a ${how} decision record${record.id === undefined ? '' : ` ${record.id}`} is not a decision (${record.problem}); it is not enforced`);
  }

  /** Since when the decision store has been unreachable (the mirror may miss decisions); undefined while it answers. */
  staleSince(): number | undefined {
    return this.unreachableSince;
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.purgeTimer) clearInterval(this.purgeTimer);
    await this.watch?.close();
  }

  /** Every enforced decision in force against any of the entities: what a fast-path verdict weighs. */
  enforcedAll(entities: readonly EntityRef[]): EnforcementAction[] {
    return this.mirror.enforcedAll(entities, this.clock.now());
  }

  active(): EnforcementAction[] {
    return this.mirror.active(this.clock.now());
  }

  /** How many decisions are in force now, enforced only unless `withShadow`. */
  countActive(withShadow = true): number {
    return this.mirror.countActive(this.clock.now(), withShadow);
  }
}
