export * from './cloudtrail.parser';
