import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { EVENT_LOG, failedActionMessage, TOPICS, type EnforcementAction, type EventLog } from '@ratchet/contracts';
import { errorMessage, formatDuration, type Clock } from '@ratchet/kernel';
import { CLOCK } from '@ratchet/platform';
import { deliveryId, SET_MEDIA_TYPE, sessionRevokedClaims, SIGNATURE_HEADER, signSet, signWebhook, webhookBody } from './webhook-messages';
import { receiverTakes, type WebhookReceiver, type WebhookSettings } from './webhook-receivers';

export const WEBHOOK_SETTINGS = Symbol.for('ratchet.WebhookSettings');

/** Deliveries remembered per receiver for deduplication; older ones are forgotten first. */
const REMEMBERED = 10_000;
const MAX_BACKOFF_MS = 30_000;

type Attempt = { ok: true } | { ok: false; problem: string; retryable: boolean };

/**
 * Calls out for `notify` and `session.revoke`: each decision the enforcer records is handed to
 * every receiver that takes it, in the background — `dispatch` returns at once, so neither the
 * score consumer nor `/authz` ever waits on a receiver. A delivery retries timeouts, network
 * errors, 408, 429 and 5xx with doubling backoff (bounded by the receiver's `retries`); when it
 * gives up, the action is recorded on `enforcement.actions` with `state: failed`,
 * `failure.reason: webhook`. One action id, state and decision is delivered once per receiver.
 */
@Injectable()
export class WebhookSender implements OnApplicationShutdown {
  private readonly log = new Logger('webhooks');
  private readonly delivered = new Map<string, Set<string>>();
  private readonly pending = new Set<Promise<void>>();
  private readonly stopping = new AbortController();

  constructor(
    @Inject(WEBHOOK_SETTINGS) private readonly settings: WebhookSettings,
    @Inject(EVENT_LOG) private readonly eventLog: Pick<EventLog, 'publish'>,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Starts the deliveries these actions call for and returns without waiting for them. */
  dispatch(actions: readonly EnforcementAction[]): void {
    if (this.stopping.signal.aborted) return;
    for (const action of actions) {
      for (const receiver of this.settings.receivers) {
        if (!receiverTakes(receiver, action) || !this.remember(receiver, deliveryId(action))) continue;
        const delivery = this.deliver(receiver, action).finally(() => this.pending.delete(delivery));
        this.pending.add(delivery);
      }
    }
  }

  /** Resolves once every delivery started so far has been made or recorded failed. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** Stops retrying: deliveries in flight or waiting are abandoned and recorded failed. */
  async onApplicationShutdown(): Promise<void> {
    this.stopping.abort();
    await this.idle();
  }

  /** False when this receiver already had (or is having) this delivery. */
  private remember(receiver: WebhookReceiver, id: string): boolean {
    let seen = this.delivered.get(receiver.name);
    if (!seen) this.delivered.set(receiver.name, (seen = new Set()));
    if (seen.has(id)) return false;
    seen.add(id);
    if (seen.size > REMEMBERED) seen.delete(seen.values().next().value as string);
    return true;
  }

  private async deliver(receiver: WebhookReceiver, action: EnforcementAction): Promise<void> {
    let attempts = 0;
    let last: Attempt = { ok: false, problem: 'not attempted', retryable: false };
    while (attempts <= receiver.retries && !this.stopping.signal.aborted) {
      if (attempts > 0 && !(await this.backOff(attempts))) break;
      attempts++;
      last = await this.attempt(receiver, action);
      if (last.ok) return;
      if (!last.retryable) break;
    }
    const problem = last.ok ? 'stopped' : this.stopping.signal.aborted ? `enforcer shutting down (last: ${last.problem})` : last.problem;
    const detail = `${receiver.name}: ${action.state} ${action.action} not delivered after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${problem}`;
    this.log.warn(`webhook ${detail} (${action.entity})`);
    try {
      await this.eventLog.publish(TOPICS.enforcementActions, [failedActionMessage(action, { reason: 'webhook', detail })]);
    } catch (err) {
      this.log.warn(`could not record a failed webhook: ${errorMessage(err)}`);
    }
  }

  /** Waits before retry `n` (1-based); false when shutdown interrupted the wait. */
  private backOff(n: number): Promise<boolean> {
    const ms = Math.min(this.settings.backoffMs * 2 ** (n - 1), MAX_BACKOFF_MS);
    return new Promise((resolve) => {
      const stop = (): void => {
        clearTimeout(timer);
        resolve(false);
      };
      const timer = setTimeout(() => {
        this.stopping.signal.removeEventListener('abort', stop);
        resolve(true);
      }, ms);
      this.stopping.signal.addEventListener('abort', stop, { once: true });
    });
  }

  private async attempt(receiver: WebhookReceiver, action: EnforcementAction): Promise<Attempt> {
    const nowS = Math.floor(this.clock.now() / 1000);
    const id = deliveryId(action);
    let body: string;
    const headers: Record<string, string> = { 'user-agent': 'ratchet-enforcer', 'x-ratchet-delivery': id };
    if (receiver.format === 'caep') {
      // RFC 8935 push delivery: the SET is the body.
      body = signSet(sessionRevokedClaims(action, { issuer: this.settings.issuer, audience: receiver.audience }, nowS), receiver.secret);
      headers['content-type'] = SET_MEDIA_TYPE;
      headers['accept'] = 'application/json';
    } else {
      body = JSON.stringify(webhookBody(action));
      headers['content-type'] = 'application/json';
      headers[SIGNATURE_HEADER] = signWebhook(body, receiver.secret, nowS);
    }
    let response: Response;
    try {
      response = await fetch(receiver.url, {
        method: 'POST',
        headers,
        body,
        redirect: 'manual',
        signal: AbortSignal.any([this.stopping.signal, AbortSignal.timeout(receiver.timeoutMs)]),
      });
    } catch (err) {
      if (err instanceof Error && err.name === 'TimeoutError') return { ok: false, problem: `no answer within ${formatDuration(receiver.timeoutMs)}`, retryable: true };
      const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
      return { ok: false, problem: `${errorMessage(err)}${cause}`, retryable: true };
    }
    const text = await response.text().catch(() => '');
    if (response.status >= 200 && response.status < 300) return { ok: true };
    const retryable = response.status === 408 || response.status === 429 || response.status >= 500;
    return { ok: false, problem: `HTTP ${response.status}${describeRefusal(text)}`, retryable };
  }
}

/** RFC 8935 §2.3: a receiver refuses a SET with `{"err": "…", "description": "…"}`; anything else is not quoted. */
function describeRefusal(text: string): string {
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed === 'object' && parsed !== null && typeof (parsed as Record<string, unknown>)['err'] === 'string') {
      const { err, description } = parsed as Record<string, unknown>;
      return ` (${String(err)}${typeof description === 'string' ? `: ${description.slice(0, 200)}` : ''})`;
    }
  } catch {
    // not JSON: the status says enough
  }
  return '';
}
