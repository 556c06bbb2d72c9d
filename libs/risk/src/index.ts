export * from './batch-scoring';
export * from './entity-explanation';
export * from './risk-model';
export * from './signal-store.port';
export * from './risk-propagation';
