import { Inject, Injectable } from '@nestjs/common';
import { EVENT_LOG, TOPICS, type AuthEvent, type EventLog, type LogMessage, type RiskSignal } from '@ratchet/contracts';
import { detectBatch, STATE_STORE, type CompiledDetector, type StateStore } from '@ratchet/detection';
import { latestPerDetectorAndEntity, scoreSignals, SIGNAL_STORE, type RiskModel, type SignalStore } from '@ratchet/risk';
import { continueTrace, RatchetMetrics, type DecodedMessage } from '@ratchet/platform';

export const SCORER_SETTINGS = Symbol.for('ratchet.ScorerSettings');

export interface ScorerSettings {
  detectors: readonly CompiledDetector[];
  riskModel: RiskModel;
}

/**
 * Runs a batch of events through every detector and the risk model: one state round trip for
 * detection, one for the scores, then the signals and scores are published, keyed by entity, and
 * the signals kept in the SignalStore.
 * Safe to run twice on the same batch (state operations are idempotent per event), which is what
 * at-least-once delivery after a crash does.
 */
@Injectable()
export class ScoringService {
  constructor(
    @Inject(SCORER_SETTINGS) private readonly settings: ScorerSettings,
    @Inject(STATE_STORE) private readonly state: StateStore,
    @Inject(EVENT_LOG) private readonly eventLog: EventLog,
    @Inject(SIGNAL_STORE) private readonly signalStore: SignalStore,
    @Inject(RatchetMetrics) private readonly metrics: RatchetMetrics,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.eventLog.ensureTopics([TOPICS.riskSignals, TOPICS.riskScores]);
  }

  async processBatch(items: ReadonlyArray<DecodedMessage<AuthEvent>>): Promise<{ signals: RiskSignal[] }> {
    const timer = this.metrics.batchSeconds.startTimer({ stage: 'scorer' });
    const events = items.map((item) => item.value);
    const signals = latestPerDetectorAndEntity(await detectBatch(events, this.settings.detectors, this.state));
    const scores = await scoreSignals(signals, this.state, this.settings.riskModel, events);

    const headersOf = traceHeadersByEvent(items);
    const signalMessages: LogMessage[] = [];
    const scoreMessages: LogMessage[] = [];
    scores.forEach((score, i) => {
      const signal = signals[i] as RiskSignal;
      const headers = headersOf(signal.eventIds[0]);
      signalMessages.push({ key: signal.entity, value: JSON.stringify(signal), headers });
      scoreMessages.push({ key: score.entity, value: JSON.stringify(score), headers });
      this.metrics.signals.inc({ type: signal.type });
    });
    if (signalMessages.length > 0) {
      await Promise.all([
        this.eventLog.publish(TOPICS.riskSignals, signalMessages),
        this.eventLog.publish(TOPICS.riskScores, scoreMessages),
        // Kept for explanations (GET /v1/entities/{entity}); appending the same signal again is a no-op.
        this.signalStore.append(signals),
      ]);
    }
    this.metrics.eventsScored.inc(events.length);
    timer();
    return { signals };
  }
}

function traceHeadersByEvent(items: ReadonlyArray<DecodedMessage<AuthEvent>>): (eventId: string | undefined) => Record<string, string> {
  const byId = new Map(items.map((item) => [item.value.id, item.headers]));
  return (eventId) => continueTrace('scorer.detect', (eventId && byId.get(eventId)) || {});
}
