export * from './canonical';
export * from './catalogue';
export * from './envoy';
export * from './nginx';
export * from './source-parser';
