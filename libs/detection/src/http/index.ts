export * from './auth-brute-force.detector';
export * from './crawl.detector';
export * from './probing.detector';
export * from './rate-limited.detector';
export * from './sensitive-paths.detector';
