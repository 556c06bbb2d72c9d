export * from './authz.controller';
export * from './chain-set.service';
export * from './chains.controller';
export * from './decision-mirror.service';
export * from './decisions.controller';
export * from './enforcement.service';
export * from './enforcer.module';
export * from './risk-scores.consumer';
