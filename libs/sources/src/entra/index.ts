export * from './entra.parser';
