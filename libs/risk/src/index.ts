export * from './batch-scoring';
export * from './risk-model';
