import { actionId, type EnforcementAction, type RiskScore } from '@ratchet/contracts';
import type { EntityRef } from '@ratchet/kernel';
import type { CompiledChain, CompiledStep } from './chain';
import { conditionInput } from './chain-condition';
import { actionIdsInForce, type ChainRun, type ChainRuns } from './chain-runs';
import type { ActionCapGuard, Allowlist } from './guards';

/** What the engine needs besides the score. Pure: `now` is passed in, state lives in `runs`. */
export interface ChainEngineContext {
  chains: readonly CompiledChain[];
  runs: ChainRuns;
  allowlist: Allowlist;
  caps: ActionCapGuard;
  /** Enforced actions in force now (the decision store's count). */
  activeActions: number;
  now: number;
  /**
   * The ids of the entity's actions in force at `now` (`actionIdsInForce`), when the caller has
   * already worked them out; otherwise the engine does.
   */
  inForce?: ReadonlySet<string>;
}

/**
 * What to do: `applied` actions are new or extended (store the enforced ones), `reverted` ones
 * end now (superseded by a higher step, or relaxed), `failed` ones a cap refused. Every one of them
 * goes to `enforcement.actions`.
 */
export interface ChainOutcome {
  applied: EnforcementAction[];
  reverted: EnforcementAction[];
  failed: EnforcementAction[];
}

/**
 * Runs every chain on a score update. Per chain and entity:
 * - relax first: a score below `relax.below` starts (or continues) the quiet period; once it has
 *   lasted `relax.for`, the chain's actions are reverted and the run is `relaxed`;
 * - then, if `match` holds, the highest step whose `if` holds is reached. Above the step in force
 *   it escalates (unless within `cooldown` of the last escalation: the step in force is extended
 *   instead), superseding the lower step's actions; at the step in force it extends them; below it,
 *   nothing changes (lowering is relax's job);
 * - a relaxed run escalates again only once the score is back at `relax.below` or above (hysteresis).
 * Allowlisted entities get nothing, whatever any chain says.
 */
export function evaluateChains(score: RiskScore, ctx: ChainEngineContext): ChainOutcome {
  const outcome: ChainOutcome = { applied: [], reverted: [], failed: [] };
  if (ctx.allowlist.allows(score.entity)) return outcome;
  const input = conditionInput(score);
  const inForce = ctx.inForce ?? actionIdsInForce(ctx.runs, score.entity, ctx.now);
  const decided = new Map<string, EnforcementAction>();
  let admitted = 0;
  for (const chain of ctx.chains) {
    const run = observeScore(chain, ctx.runs.get(chain.name, score.entity), score.entity, score.score, ctx, outcome);
    if (!chain.match.holds(input)) continue;
    let reached: CompiledStep | undefined;
    for (const step of chain.steps) if (step.condition.holds(input)) reached = step;
    if (!reached || run.relaxed) continue;
    let target = reached;
    const climbing = reached.index > run.step;
    if (climbing && run.escalatedAt !== undefined && ctx.now - run.escalatedAt < chain.cooldownMs) {
      const inPlace = chain.steps[run.step];
      if (!inPlace) continue;
      target = inPlace;
    } else if (!climbing && reached.index < run.step) {
      continue;
    }
    const kept: EnforcementAction[] = [];
    for (const planned of target.then) {
      const action = decide(chain, target, planned, score, ctx.now);
      const fresh = !inForce.has(action.id) && !decided.has(action.id);
      if (fresh && action.mode === 'enforce') {
        const verdict = ctx.caps.admit(ctx.now, ctx.activeActions + admitted);
        if (!verdict.admitted) {
          outcome.failed.push({ ...action, state: 'failed', failure: { reason: 'cap', detail: verdict.detail } });
          continue;
        }
        admitted++;
      }
      kept.push(action);
      const previous = decided.get(action.id);
      if (!previous || previous.expiresAt < action.expiresAt) decided.set(action.id, action);
    }
    if (kept.length === 0) continue;
    const escalated = target.index > run.step;
    let actions: readonly EnforcementAction[] = kept;
    if (escalated) {
      const superseded = run.actions.filter((a) => !kept.some((k) => k.id === a.id));
      outcome.reverted.push(...revertable(superseded, chain.name, score.entity, ctx));
    } else {
      actions = [...run.actions.filter((a) => !kept.some((k) => k.id === a.id)), ...kept];
    }
    ctx.runs.set(chain.name, score.entity, {
      ...run,
      step: target.index,
      actions,
      ...(escalated ? { escalatedAt: ctx.now } : {}),
    });
  }
  outcome.applied.push(...decided.values());
  return outcome;
}

/**
 * The periodic relax check for an entity that received no score update: `score` is its last
 * score decayed to `now`. Also forgets runs that hold nothing and remember nothing useful.
 */
export function relaxChains(entity: EntityRef, score: number, ctx: Omit<ChainEngineContext, 'caps' | 'activeActions'>): EnforcementAction[] {
  const outcome: ChainOutcome = { applied: [], reverted: [], failed: [] };
  for (const chain of ctx.chains) {
    const stored = ctx.runs.get(chain.name, entity);
    if (!stored) continue;
    const run = observeScore(chain, stored, entity, score, ctx, outcome);
    const coolingDown = run.escalatedAt !== undefined && ctx.now - run.escalatedAt < chain.cooldownMs;
    const idle = run.actions.length === 0 && !coolingDown && (!run.relaxed || score < 1);
    if (idle) ctx.runs.delete(chain.name, entity);
  }
  // Runs of chains no longer loaded (a reload removed them) keep nothing in force beyond their TTL.
  for (const name of ctx.runs.ofEntity(entity).keys()) {
    if (!ctx.chains.some((c) => c.name === name)) ctx.runs.delete(name, entity);
  }
  return outcome.reverted;
}

/** The run after expiring its actions and counting the quiet period; reverts when relax is due. */
function observeScore(
  chain: CompiledChain,
  stored: ChainRun | undefined,
  entity: EntityRef,
  score: number,
  ctx: Pick<ChainEngineContext, 'runs' | 'chains' | 'now'>,
  outcome: ChainOutcome,
): ChainRun {
  const actions = (stored?.actions ?? []).filter((a) => a.expiresAt > ctx.now);
  let run: ChainRun = { relaxed: false, ...stored, actions, step: actions.length > 0 ? (stored?.step ?? -1) : -1 };
  if (chain.relax) {
    if (score >= chain.relax.below) {
      const { belowSince: _cleared, ...rest } = run;
      run = { ...rest, relaxed: false };
    } else if (run.actions.length > 0) {
      const belowSince = run.belowSince ?? ctx.now;
      if (ctx.now - belowSince >= chain.relax.forMs) {
        ctx.runs.set(chain.name, entity, run);
        outcome.reverted.push(...revertable(run.actions, chain.name, entity, ctx));
        const { belowSince: _done, ...rest } = run;
        run = { ...rest, step: -1, actions: [], relaxed: true };
      } else {
        run = { ...run, belowSince };
      }
    }
  }
  if (stored) ctx.runs.set(chain.name, entity, run);
  return run;
}

/** Reverted copies of the actions no other chain still holds against the entity (one id, one action). */
function revertable(actions: readonly EnforcementAction[], chain: string, entity: EntityRef, ctx: Pick<ChainEngineContext, 'runs' | 'now'>): EnforcementAction[] {
  const heldElsewhere = new Set<string>();
  for (const [name, run] of ctx.runs.ofEntity(entity)) {
    if (name === chain) continue;
    for (const a of run.actions) if (a.expiresAt > ctx.now) heldElsewhere.add(a.id);
  }
  return actions.filter((a) => a.expiresAt > ctx.now && !heldElsewhere.has(a.id)).map((a) => ({ ...a, state: 'reverted', expiresAt: ctx.now }));
}

/** Every action lasts its TTL from `now`, whatever the event time: a late detection still acts for the whole TTL. */
function decide(chain: CompiledChain, step: CompiledStep, planned: CompiledStep['then'][number], score: RiskScore, now: number): EnforcementAction {
  return {
    v: 1,
    id: actionId(planned.action, score.entity),
    action: planned.action,
    entity: score.entity,
    ...(planned.params ? { params: planned.params } : {}),
    reason: { chain: chain.name, step: step.index, signalType: score.trigger.type, signalId: score.trigger.id, score: score.score },
    mode: chain.mode,
    state: 'applied',
    ttlMs: planned.ttlMs,
    decidedAt: now,
    expiresAt: now + planned.ttlMs,
  };
}
