export * from './authz.controller';
export * from './decision-mirror.service';
export * from './decisions.controller';
export * from './enforcement.service';
export * from './enforcer.module';
export * from './policy-reconciler.service';
export * from './risk-scores.consumer';
