export * from './action-builders';
export * from './await-until';
export * from './contracts/decision-store.contract';
export * from './contracts/event-log.contract';
export * from './contracts/signal-store.contract';
export * from './contracts/state-store.contract';
export * from './contracts/token-buckets.contract';
export * from './event-builders';
export * from './infra';
// The embedded shape's state store: the real in-memory adapter, which passes the same contract
// suite as Redis, for domain specs that need state (re-exported so they do not reach into platform).
export { MemoryStateStore } from '@ratchet/platform';
export * from './contracts/clock.contract';
export * from './only-detectors';
export * from './mmdb-writer';
export * from './free-port';
export * from './seeded-random';
export * from './retained-heap';
