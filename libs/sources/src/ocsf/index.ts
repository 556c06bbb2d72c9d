export * from './ocsf.parser';
