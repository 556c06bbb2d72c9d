export * from './anonymous-access.detector';
export * from './cluster-admin-grant.detector';
export { CONTROL_PLANE_IDENTITIES, NON_PUBLIC_RANGES } from './control-plane';
export * from './exec.detector';
export * from './privileged-workload.detector';
export * from './rbac-denials.detector';
export * from './secret-read.detector';
export * from './token-outside-cluster.detector';
