export * from './source-parser';
