export * from './keycloak-log.parser';
export * from './keycloak.parser';
