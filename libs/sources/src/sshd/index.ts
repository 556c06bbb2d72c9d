export * from './sshd.parser';
