export * from './caddy.parser';
