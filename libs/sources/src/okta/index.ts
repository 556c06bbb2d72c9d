export * from './okta.parser';
