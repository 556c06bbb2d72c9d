export * from './authelia.parser';
