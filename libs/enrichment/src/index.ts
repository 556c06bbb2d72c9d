export * from './address-scope';
export * from './enricher';
export * from './geo-database';
