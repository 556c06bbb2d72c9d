export * from './memory/memory-decision-store';
export * from './memory/memory-event-log';
export * from './memory/memory-state-store';
export * from './memory/partitioner';
