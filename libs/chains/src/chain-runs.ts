import type { EnforcementAction } from '@ratchet/contracts';
import type { EntityRef } from '@ratchet/kernel';

/** Where one chain stands for one entity: the memory escalation, relax and cooldown need. */
export interface ChainRun {
  /** Index of the step in force; -1 when none (never reached, expired or relaxed). */
  step: number;
  /** When the chain last climbed for the entity (the cooldown counts from here). */
  escalatedAt?: number;
  /** When the score was first seen below `relax.below` since it was last seen at or above it. */
  belowSince?: number;
  /** Relaxed, and the score has not yet crossed back to `relax.below` or above: no re-escalation. */
  relaxed: boolean;
  /** The chain's actions in force against the entity (shadow ones included). */
  actions: readonly EnforcementAction[];
}

/**
 * The chain runs of every entity an enforcer is responsible for. Risk scores are keyed by entity,
 * so each replica sees all updates of its entities and holds their runs in memory; a restart
 * forgets them, and the actions then simply run their TTL.
 */
export interface ChainRuns {
  get(chain: string, entity: EntityRef): ChainRun | undefined;
  set(chain: string, entity: EntityRef, run: ChainRun): void;
  delete(chain: string, entity: EntityRef): void;
  /** Every run of the entity, by chain name. */
  ofEntity(entity: EntityRef): ReadonlyMap<string, ChainRun>;
  entities(): EntityRef[];
}

/** Ids of the entity's actions still in force at `now`, across its chains. */
export function actionIdsInForce(runs: ChainRuns, entity: EntityRef, now: number): Set<string> {
  const ids = new Set<string>();
  for (const run of runs.ofEntity(entity).values()) for (const a of run.actions) if (a.expiresAt > now) ids.add(a.id);
  return ids;
}

export class MemoryChainRuns implements ChainRuns {
  private readonly byEntity = new Map<EntityRef, Map<string, ChainRun>>();

  get(chain: string, entity: EntityRef): ChainRun | undefined {
    return this.byEntity.get(entity)?.get(chain);
  }

  set(chain: string, entity: EntityRef, run: ChainRun): void {
    let runs = this.byEntity.get(entity);
    if (!runs) {
      runs = new Map();
      this.byEntity.set(entity, runs);
    }
    runs.set(chain, run);
  }

  delete(chain: string, entity: EntityRef): void {
    const runs = this.byEntity.get(entity);
    runs?.delete(chain);
    if (runs?.size === 0) this.byEntity.delete(entity);
  }

  ofEntity(entity: EntityRef): ReadonlyMap<string, ChainRun> {
    return this.byEntity.get(entity) ?? new Map<string, ChainRun>();
  }

  entities(): EntityRef[] {
    return [...this.byEntity.keys()];
  }
}
