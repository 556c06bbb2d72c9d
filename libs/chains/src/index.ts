export * from './action-catalogue';
export * from './chain';
export * from './chain-condition';
export * from './chain-engine';
export * from './chain-runs';
export * from './decision-mirror';
export * from './decision-store.port';
export * from './guards';
