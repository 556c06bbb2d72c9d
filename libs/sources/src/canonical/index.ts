export * from './canonical.parser';
