export * from './apache-access.parser';
export * from './apache-error.parser';
