import type { EnforcementAction } from '@ratchet/contracts';
import { errorMessage } from '@ratchet/kernel';
import {
  ACTION_ANNOTATION,
  InvalidPolicyTargets,
  isOwned,
  OWNED_SELECTOR,
  renderPolicy,
  TARGET_LABEL,
  type KubernetesObject,
  type ObjectRef,
  type PolicyChange,
  type PolicySettings,
  type PolicyTarget,
} from '@ratchet/policy';
import { describeRef, KubernetesApiError, refOf, type KubernetesApi } from './kubernetes-api';

/** What happened to one action on one target (or to one object found in the cluster). */
export interface PolicyOutcome {
  actionId: string;
  target: string;
  state: 'applied' | 'reverted' | 'failed';
  /** Why it failed: `not-owned`, `not-found`, a refusal, or the API's answer. */
  reason?: string;
  object?: string;
}

export interface RetryPolicy {
  /** Tries per call, the first included. Default 4. */
  attempts: number;
  /** Wait before the second try, doubled each time. Default 250 ms. */
  initialDelayMs: number;
  /** Longest wait. Default 5 s. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, initialDelayMs: 250, maxDelayMs: 5_000 };

export interface PolicyApplierOptions {
  retry?: RetryPolicy;
  /** How to wait between tries. Default: a timer; tests pass one that resolves at once. */
  sleep?: (ms: number) => Promise<void>;
}

const key = (ref: ObjectRef): string => `${ref.apiVersion}/${ref.kind}/${ref.namespace}/${ref.name}`;

/**
 * Makes the cluster match the active decisions on the configured targets. Desired: the active
 * decisions rendered; actual: every object of the targets' kinds labelled
 * `app.kubernetes.io/managed-by=ratchet`. Creates and updates by server-side apply (field
 * manager `ratchet`), deletes what no active decision wants, and at expiry removes its own
 * references from VirtualServers it attached to.
 *
 * Never loosens what Ratchet does not own: an object with the desired name but without Ratchet's
 * label is left alone and the action is `failed` with reason `not-owned`; `force` is used only on
 * objects that carry the label; patches to VirtualServers add or remove Ratchet's own reference only.
 * Retryable API failures (no answer, 429, 5xx) are retried with exponential backoff; the rest fail
 * the one change at once. Nothing here throws for a failed change: it becomes an outcome.
 */
export class KubernetesPolicyApplier {
  private readonly retry: RetryPolicy;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Status changes (certificate re-issue) are one-shot: done once per action id in this process. */
  private readonly issued = new Set<string>();

  constructor(
    private readonly api: KubernetesApi,
    private readonly targets: readonly PolicyTarget[],
    private readonly settings: PolicySettings,
    options: PolicyApplierOptions = {},
  ) {
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /**
   * At start-up: refuses a configured target whose API the cluster does not serve (its CRDs are
   * not installed), naming the target and the missing group/version.
   */
  async verifyTargets(): Promise<void> {
    const served = await this.withRetry(() => this.api.servedApis());
    for (const target of this.targets) {
      for (const api of target.api) {
        const groupVersion = `${api.group}/${api.version}`;
        if (!served.has(groupVersion)) {
          throw new InvalidPolicyTargets(`RATCHET_POLICY_TARGETS: target "${target.name}" needs ${groupVersion}, which the cluster does not serve (are its CRDs installed?)`);
        }
      }
    }
  }

  /** One reconcile pass. `active` are the decisions in force now (expired ones are simply absent). */
  async reconcile(active: readonly EnforcementAction[]): Promise<PolicyOutcome[]> {
    const outcomes: PolicyOutcome[] = [];
    const rendered = renderPolicy(active, this.targets, this.settings);
    for (const r of rendered.refused) {
      if (r.target !== undefined) outcomes.push({ actionId: r.actionId, target: r.target, state: 'failed', reason: r.reason });
    }

    const actual = new Map<string, KubernetesObject>();
    for (const kind of uniqueKinds(this.targets)) {
      try {
        for (const object of await this.withRetry(() => this.api.list(kind.apiVersion, kind.kind, OWNED_SELECTOR))) actual.set(key(refOf(object)), object);
      } catch (err) {
        // Without the actual state nothing is deleted this pass; applies still go ahead.
        outcomes.push({ actionId: '', target: kind.kind, state: 'failed', reason: `cannot list ${kind.kind}: ${errorMessage(err)}` });
        return [...outcomes, ...(await this.applyAll(rendered.changes, actual))];
      }
    }
    outcomes.push(...(await this.applyAll(rendered.changes, actual)));

    const desired = new Set(rendered.changes.flatMap((c) => (c.change.kind === 'owned' ? [key(refOf(c.change.object))] : [])));
    for (const [k, object] of actual) {
      if (desired.has(k) || !isOwned(object)) continue;
      outcomes.push(await this.revert(object));
    }
    return outcomes;
  }

  private async applyAll(changes: ReturnType<typeof renderPolicy>['changes'], actual: ReadonlyMap<string, KubernetesObject>): Promise<PolicyOutcome[]> {
    const outcomes: PolicyOutcome[] = [];
    for (const { target, actionId, change } of changes) {
      const object = describeChange(change);
      try {
        const reason = await this.applyChange(actionId, change, actual);
        outcomes.push(reason === undefined ? { actionId, target, state: 'applied', object } : { actionId, target, state: 'failed', reason, object });
      } catch (err) {
        outcomes.push({ actionId, target, state: 'failed', reason: errorMessage(err), object });
      }
    }
    return outcomes;
  }

  /** Applies one change; answers a failure reason that is an expected outcome, or undefined. */
  private async applyChange(actionId: string, change: PolicyChange, actual: ReadonlyMap<string, KubernetesObject>): Promise<string | undefined> {
    if (change.kind === 'owned') {
      const ref = refOf(change.object);
      let existing = actual.get(key(ref));
      if (existing === undefined) {
        existing = await this.withRetry(() => this.api.get(ref));
        if (existing !== undefined && !isOwned(existing)) return 'not-owned';
      }
      await this.withRetry(() => this.api.apply(change.object, { force: existing !== undefined }));
      return undefined;
    }
    if (change.kind === 'attach') {
      const vs = await this.withRetry(() => this.api.get(change.target));
      if (vs === undefined) return 'not-found';
      const refs = policyRefs(vs);
      if (refs.some((r) => sameRef(r, change.reference))) return undefined;
      // An absent list is created; an existing one is appended to, never rewritten.
      const ops = refs.length === 0 && !Array.isArray(vs.spec?.['policies']) ? [{ op: 'add' as const, path: '/spec/policies', value: [change.reference] }] : change.patch;
      await this.withRetry(() => this.api.jsonPatch(change.target, ops));
      return undefined;
    }
    if (this.issued.has(actionId)) return undefined;
    const ref = refOf(change.object);
    const certificate = await this.withRetry(() => this.api.get(ref));
    if (certificate === undefined) return 'not-found';
    await this.withRetry(() => this.api.apply(change.object, { force: true, status: true }));
    this.issued.add(actionId);
    return undefined;
  }

  /** Removes an owned object no active decision wants, after detaching it from the VirtualServers. */
  private async revert(object: KubernetesObject): Promise<PolicyOutcome> {
    const ref = refOf(object);
    const outcome = {
      actionId: object.metadata.annotations?.[ACTION_ANNOTATION] ?? '',
      target: object.metadata.labels?.[TARGET_LABEL] ?? '',
      object: describeRef(ref),
    };
    try {
      if (ref.kind === 'Policy' && ref.apiVersion === 'k8s.nginx.org/v1') {
        for (const vs of this.settings.nginxVirtualServers) await this.detach(vs, { name: ref.name, namespace: ref.namespace });
      }
      await this.withRetry(() => this.api.delete(ref));
      return { ...outcome, state: 'reverted' };
    } catch (err) {
      return { ...outcome, state: 'failed', reason: errorMessage(err) };
    }
  }

  private async detach(vs: ObjectRef, reference: Record<string, string>): Promise<void> {
    const current = await this.withRetry(() => this.api.get(vs));
    if (current === undefined) return;
    const index = policyRefs(current).findIndex((r) => sameRef(r, reference));
    if (index < 0) return;
    // `test` makes the removal fail rather than remove someone else's entry if the list moved.
    await this.withRetry(() =>
      this.api.jsonPatch(vs, [
        { op: 'test', path: `/spec/policies/${index}`, value: policyRefs(current)[index] },
        { op: 'remove', path: `/spec/policies/${index}` },
      ]),
    );
  }

  private async withRetry<T>(run: () => Promise<T>): Promise<T> {
    let delay = this.retry.initialDelayMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await run();
      } catch (err) {
        const retryable = err instanceof KubernetesApiError && err.retryable;
        if (!retryable || attempt >= this.retry.attempts) throw err;
        await this.sleep(delay);
        delay = Math.min(delay * 2, this.retry.maxDelayMs);
      }
    }
  }
}

function uniqueKinds(targets: readonly PolicyTarget[]): Array<{ apiVersion: string; kind: string }> {
  const seen = new Map<string, { apiVersion: string; kind: string }>();
  for (const kind of targets.flatMap((t) => t.owns)) seen.set(`${kind.apiVersion}/${kind.kind}`, kind);
  return [...seen.values()];
}

function policyRefs(vs: KubernetesObject): Array<Record<string, unknown>> {
  const list = vs.spec?.['policies'];
  return Array.isArray(list) ? (list as Array<Record<string, unknown>>) : [];
}

/** NGINX resolves a reference without a namespace in the VirtualServer's own namespace; Ratchet always writes one. */
function sameRef(a: Record<string, unknown>, b: Record<string, string>): boolean {
  return a['name'] === b['name'] && a['namespace'] === b['namespace'];
}

function describeChange(change: PolicyChange): string {
  return change.kind === 'attach' ? `${describeRef(change.target)} spec.policies` : describeRef(refOf(change.object));
}
