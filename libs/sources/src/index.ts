export * from './canonical';
export * from './catalogue';
export * from './source-parser';
