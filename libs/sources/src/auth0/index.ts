export * from './auth0.parser';
