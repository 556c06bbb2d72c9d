// A separate entry point (`@ratchet/platform/kubernetes`): only processes that run the policy
// path load the Kubernetes client.
export * from './kubernetes-api';
export * from './kubernetes-policy-applier';
