export * from './address-intel';
export * from './anonymizer.detector';
export * from './blocklisted-address.detector';
export * from './feed-formats';
export type { IntelParams, StatelessDetector } from './intel-detector';
