export * from './keycloak.parser';
