export * from './mtls-failures.detector';
export * from './new-peer.detector';
export * from './unknown-identity.detector';
