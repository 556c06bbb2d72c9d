import type { DynamicModule } from '@nestjs/common';
import { DECISION_STORE, TOKEN_BUCKETS } from '@ratchet/chains';
import { EVENT_LOG } from '@ratchet/contracts';
import { STATE_STORE } from '@ratchet/detection';
import { systemClock } from '@ratchet/kernel';
import { SIGNAL_STORE } from '@ratchet/risk';
import type { PlatformConfig } from './config/env';
import { KafkaEventLog } from './kafka/kafka-event-log';
import { CLOCK, PlatformModule } from './platform.module';
import { createRedisClient } from './redis/redis-client';
import { RedisDecisionStore } from './redis/redis-decision-store';
import { RedisSignalStore } from './redis/redis-signal-store';
import { RedisStateStore } from './redis/redis-state-store';
import { RedisTokenBuckets } from './redis/redis-token-buckets';

/** The services shape's adapters: Kafka for the log, Redis for state, recent signals, decisions and rate-limit buckets. */
export function servicesPlatform(config: PlatformConfig, service: string): DynamicModule {
  return PlatformModule.with([
    { provide: CLOCK, useValue: systemClock },
    {
      provide: EVENT_LOG,
      useFactory: () =>
        new KafkaEventLog({ ...config.kafka }),
    },
    {
      provide: STATE_STORE,
      useFactory: async () => new RedisStateStore(await createRedisClient(config.redis.url, `ratchet-${service}-state`), `${config.redis.keyPrefix}state:`),
    },
    {
      provide: SIGNAL_STORE,
      useFactory: async () => new RedisSignalStore(await createRedisClient(config.redis.url, `ratchet-${service}-signals`), config.redis.keyPrefix),
    },
    {
      provide: DECISION_STORE,
      useFactory: async () => new RedisDecisionStore(await createRedisClient(config.redis.url, `ratchet-${service}-decisions`), config.redis.keyPrefix),
    },
    {
      provide: TOKEN_BUCKETS,
      useFactory: async () => new RedisTokenBuckets(await createRedisClient(config.redis.url, `ratchet-${service}-buckets`), config.redis.keyPrefix),
    },
  ]);
}

export { KafkaEventLog, type KafkaEventLogOptions } from './kafka/kafka-event-log';
export { createRedisClient } from './redis/redis-client';
export { RedisDecisionStore } from './redis/redis-decision-store';
export { RedisSignalStore } from './redis/redis-signal-store';
export { RedisStateStore } from './redis/redis-state-store';
export { RedisTokenBuckets } from './redis/redis-token-buckets';
