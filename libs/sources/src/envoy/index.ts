export * from './envoy.parser';
export * from './envoy-json.parser';
