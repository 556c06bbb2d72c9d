import { isSetAddResult, type SetAddOp, type StateResult } from './state-store.port';

/**
 * "Never seen before" needs a history first: every peer of a workload deployed an hour ago is new.
 * A subject (a calling workload, a namespace's secrets) is past learning once it has been seen in
 * two earlier periods of `learningMs` (UTC-aligned): at least one full period of traffic, at most
 * two. The periods are a small `set.add` set beside the set of known members, so the whole check is
 * two operations in the batch's one round trip, idempotent for a redelivered event.
 */
export interface NoveltySettings {
  learningMs: number;
  /** Most members remembered per subject; the least recently seen are forgotten first. */
  maxMembers: number;
  /** How long a subject's history outlives its last event. */
  retainMs: number;
}

export type Novelty = 'new' | 'known' | 'learning';

/** Periods remembered: the current one and the two earlier ones that end learning. */
const PERIODS_KEPT = 3;

/** The two operations, in order: the member in the subject's set, the event's period in its periods. */
/** The two keys of a kind of subject (`mesh-peers:svc`): its members and its periods. */
export interface NoveltyKeys {
  members: string;
  periods: string;
}

export function noveltyKeys(kind: string): NoveltyKeys {
  return { members: `${kind}:members`, periods: `${kind}:periods` };
}

export function planNovelty(keys: NoveltyKeys, of: string, member: string, at: number, p: NoveltySettings): [SetAddOp, SetAddOp] {
  return [
    { kind: 'set.add', key: keys.members, of, member, at, maxMembers: p.maxMembers, retainMs: p.retainMs },
    {
      kind: 'set.add',
      key: keys.periods,
      of,
      member: String(Math.floor(at / p.learningMs)),
      at,
      maxMembers: PERIODS_KEPT,
      retainMs: Math.max(p.retainMs, PERIODS_KEPT * p.learningMs),
    },
  ];
}

/** Reads the results of `planNovelty`'s two operations. */
export function noveltyOf(memberResult: StateResult | undefined, periodResult: StateResult | undefined): Novelty {
  if (!isSetAddResult(memberResult) || !isSetAddResult(periodResult)) return 'learning';
  if (memberResult.known) return 'known';
  const earlierPeriods = periodResult.size - (periodResult.known ? 1 : 0);
  return earlierPeriods >= 2 ? 'new' : 'learning';
}

