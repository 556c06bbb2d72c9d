export * from './body-parsers';
export * from './collector.module';
export * from './ingest-body';
export * from './ingest.service';
export * from './source-ingest.controller';
