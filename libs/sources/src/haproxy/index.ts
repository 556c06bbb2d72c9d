export * from './haproxy.parser';
