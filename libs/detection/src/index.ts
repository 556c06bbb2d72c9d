export * from './batch-detection';
export * from './brute-force.detector';
export * from './catalogue';
export * from './detector';
export * from './detector-config';
export * from './intel';
export * from './password-spray.detector';
export * from './state-store.port';
