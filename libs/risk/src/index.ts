export * from './batch-scoring';
export * from './risk-model';
export * from './risk-propagation';
