export * from './k8s-audit.parser';
