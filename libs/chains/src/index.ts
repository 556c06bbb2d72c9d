export * from './chain';
export * from './decide';
export * from './decision-mirror';
export * from './decision-store.port';
export * from './guards';
export * from './token-buckets.port';
export * from './verdict';
