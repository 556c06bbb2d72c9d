export * from './line-envelope';
export * from './syslog-header';
