export * from './traefik.parser';
