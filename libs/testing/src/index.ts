export * from './await-until';
export * from './contracts/decision-store.contract';
export * from './contracts/event-log.contract';
export * from './contracts/state-store.contract';
export * from './event-builders';
export * from './infra';
