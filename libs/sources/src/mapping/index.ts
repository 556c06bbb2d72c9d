export * from './json-mapping.parser';
