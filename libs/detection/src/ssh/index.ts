export * from './probing.detector';
