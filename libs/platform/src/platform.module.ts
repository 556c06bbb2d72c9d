import { Global, Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { DECISION_STORE, TOKEN_BUCKETS, type DecisionStore, type TokenBuckets } from '@ratchet/chains';
import { EVENT_LOG, type EventLog } from '@ratchet/contracts';
import { STATE_STORE, type StateStore } from '@ratchet/detection';
import { systemClock, type Clock } from '@ratchet/kernel';
import { SIGNAL_STORE, type SignalStore } from '@ratchet/risk';
import { HealthController } from './http/health.controller';
import { RatchetMetrics } from './http/metrics';
import { Readiness } from './http/readiness';
import { MemoryDecisionStore } from './memory/memory-decision-store';
import { MemoryEventLog } from './memory/memory-event-log';
import { MemorySignalStore } from './memory/memory-signal-store';
import { MemoryStateStore } from './memory/memory-state-store';
import { MemoryTokenBuckets } from './memory/memory-token-buckets';

export const CLOCK = Symbol.for('ratchet.Clock');

/** Closes the adapters when the application shuts down, last. */
@Injectable()
class AdapterLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(EVENT_LOG) private readonly eventLog: EventLog,
    @Inject(STATE_STORE) private readonly state: StateStore,
    @Inject(DECISION_STORE) private readonly decisions: DecisionStore,
    @Inject(SIGNAL_STORE) private readonly signals: SignalStore,
    @Inject(TOKEN_BUCKETS) private readonly buckets: TokenBuckets,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([this.eventLog.close(), this.state.close(), this.decisions.close(), this.signals.close(), this.buckets.close()]);
  }
}

export interface MemoryPlatformOptions {
  clock?: Clock;
  eventLog?: MemoryEventLog;
}

/**
 * Binds the ports to adapters. The same feature modules run in both shapes; only this choice
 * differs: memory (embedded, one process; here) or Kafka + Redis (services; `servicesPlatform`).
 */
@Global()
@Module({})
export class PlatformModule {
  static memory(options: MemoryPlatformOptions = {}): DynamicModule {
    const clock = options.clock ?? systemClock;
    return PlatformModule.with([
      { provide: CLOCK, useValue: clock },
      { provide: EVENT_LOG, useValue: options.eventLog ?? new MemoryEventLog() },
      { provide: STATE_STORE, useValue: new MemoryStateStore(clock) },
      { provide: DECISION_STORE, useValue: new MemoryDecisionStore() },
      { provide: SIGNAL_STORE, useValue: new MemorySignalStore() },
      { provide: TOKEN_BUCKETS, useValue: new MemoryTokenBuckets(clock) },
    ]);
  }

  /** Binds the given adapters (CLOCK, EVENT_LOG, STATE_STORE, DECISION_STORE, SIGNAL_STORE, TOKEN_BUCKETS) plus metrics and health. */
  static with(adapters: Provider[]): DynamicModule {
    return {
      module: PlatformModule,
      global: true,
      controllers: [HealthController],
      providers: [...adapters, RatchetMetrics, Readiness, AdapterLifecycle],
      exports: [CLOCK, EVENT_LOG, STATE_STORE, DECISION_STORE, SIGNAL_STORE, TOKEN_BUCKETS, RatchetMetrics, Readiness],
    };
  }
}
