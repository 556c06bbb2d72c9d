/**
 * Entity state for detectors and the risk model. Callers plan every operation a batch needs and
 * execute them together: one pipelined round trip per batch, never one per event.
 *
 * All times are event times (epoch ms): windows slide with the events, so a replay of the same
 * events gives the same answers as the live run. Operations are idempotent for the same member,
 * so an event redelivered after a crash is not counted twice.
 */
export type StateOp = WindowCountOp | WindowDistinctOp | RecordMergeOp | RecordReadOp | SetAddOp | CounterAddOp;

/**
 * Where an operation's state lives: a constant `key` naming what is kept (`bf:ip`, `nc:user`) and
 * `of`, the subject it is kept about (an address, a user id, a token; absent for state about
 * everyone, such as a population table). The store's key is `<key>:<of>` — `bf:ip:203.0.113.7` in
 * Redis — but the two travel apart so that a store in memory finds the state from the strings the
 * event already holds, without building one per operation. A constant `key` never starts with `@`:
 * stores keep their own bookkeeping there (the Redis adapter, a counter's side set `@at:<key>:<of>`).
 */
export interface StateAddress {
  key: string;
  of?: string;
}

/** The one string an operation's state is stored under: `<key>:<of>`, or `key` without a subject. */
export function stateKey(op: StateAddress): string {
  return op.of === undefined ? op.key : `${op.key}:${op.of}`;
}

/**
 * Adds `member` (an event id, which always comes with its event's time) at `at`; answers how many members fall in the window that ends at
 * the newest member's time (`[newest - windowMs, newest]`, where newest ≥ `at`). Counting up to
 * the newest rather than up to `at` means events arriving out of order (several ingress
 * replicas, log shippers) still add up: twenty failures within five minutes are twenty whatever
 * order they arrive in.
 *
 * Without `member` it adds nothing and only counts (nor trims, nor refreshes the key's expiry):
 * "were there three push denials in the ten minutes before this approval", asked by the approval
 * without becoming one of them. An absent key counts 0.
 */
export interface WindowCountOp extends StateAddress {
  kind: 'window.count';
  member?: string;
  at: number;
  windowMs: number;
}

/**
 * Records that `member` (a distinct value, e.g. a principal) was seen at `at` (the latest time
 * wins); answers how many distinct members were seen in the window that ends at the newest
 * member's time, as for `window.count`.
 */
export interface WindowDistinctOp extends StateAddress {
  kind: 'window.distinct';
  member: string;
  at: number;
  windowMs: number;
}

/**
 * Sets `fields` on the record at `key` (absent fields stay) and answers the whole record — as it is
 * after the merge, or with `answer: 'before'` as it was before (empty when there was none): what a
 * detector comparing this event with the previous one (impossible travel, token reuse) needs.
 */
export interface RecordMergeOp extends StateAddress {
  kind: 'record.merge';
  fields: Readonly<Record<string, string>>;
  /** How long the record outlives its last write (wall time). */
  retainMs: number;
  /** Default `after`. */
  answer?: 'after' | 'before';
}

/**
 * Adds `member` to the set at `key`, remembering the latest event time it was seen at, and answers
 * whether it was already there and how many members the set held before: "first login from this
 * country for a user with a history". The set keeps at most `maxMembers`, forgetting the least
 * recently seen first, so one principal cannot grow it without bound; the key expires `retainMs`
 * after its last write (wall time).
 */
export interface SetAddOp extends StateAddress {
  kind: 'set.add';
  member: string;
  at: number;
  maxMembers: number;
  retainMs: number;
  /**
   * State several detectors keep alike (the login history of the first-seen family): the batch
   * engine runs a shared operation once per event however many detectors plan it (same key and
   * member) and gives each the one answer, as if it had asked alone. Shared operations on one key
   * must agree on their other fields; the first planned is the one run.
   */
  shared?: boolean;
}

/** Whether a result is a `set.add` answer. */
export function isSetAddResult(result: StateResult | undefined): result is SetAddResult {
  return typeof result === 'object' && result !== null && 'known' in result;
}

export interface SetAddResult {
  /** The member was in the set before this operation. */
  known: boolean;
  /** Members the set held before this operation. */
  size: number;
}

/**
 * Answers the record at `key` (empty when there is none) and changes nothing: unlike a merge
 * without fields, reading does not extend the record's life, so an entity looked up over the
 * API still expires on time.
 */
export interface RecordReadOp extends StateAddress {
  kind: 'record.read';
}

/**
 * Adds one to each of `fields` in the counters at `key` (a field listed twice gains two) and answers
 * their new values, in order: the frequency tables of the login-risk score ("how often has this
 * principal, and everyone, logged in from this ASN"). Each field remembers the latest event time it
 * was counted at; beyond `maxFields` the least recently counted fields are forgotten, so a table
 * stays bounded (a field counted by every operation, such as a total, is never the one forgotten).
 * The key expires `retainMs` after its last write (wall time).
 *
 * Unlike the other operations this one is NOT idempotent: a redelivered event counts again. Use it
 * for statistics where one batch counted twice is noise, never for a threshold.
 */
export interface CounterAddOp extends StateAddress {
  kind: 'counter.add';
  fields: readonly string[];
  at: number;
  maxFields: number;
  retainMs: number;
}

export type StateResult<O extends StateOp = StateOp> = O extends RecordMergeOp | RecordReadOp
  ? Readonly<Record<string, string>>
  : O extends SetAddOp
    ? SetAddResult
    : O extends CounterAddOp
      ? readonly number[]
      : number;

export interface StateStore {
  /** Executes the operations in order, in one round trip, and answers one result per operation. */
  execute(ops: readonly StateOp[]): Promise<StateResult[]>;
  close(): Promise<void>;
}

export const STATE_STORE = Symbol.for('ratchet.StateStore');

/**
 * How long a window key keeps members behind the newest one. Twice the window tolerates events
 * that arrive out of order by up to one window.
 */
export function windowRetentionMs(windowMs: number): number {
  return windowMs * 2;
}
