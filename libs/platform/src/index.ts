export * from './config/detector-settings';
export * from './config/env';
export * from './config/sources';
export * from './http/health.controller';
export * from './http/metrics';
export * from './http/problem.filter';
export * from './http/readiness';
export * from './memory/memory-decision-store';
export * from './memory/memory-event-log';
export * from './memory/memory-signal-store';
export * from './memory/memory-state-store';
export * from './memory/partitioner';
export * from './platform.module';
export * from './telemetry/telemetry';
export * from './transport/decoded-batch';
export * from './transport/event-log.transport';
export * from './http/bootstrap';
// Kafka and Redis adapters: '@ratchet/platform/services' (the embedded shape never loads kafkajs or ioredis).
