export * from './body-parsers';
export * from './collector-settings';
export * from './collector.module';
export * from './geo-database-files';
export * from './ingest-body';
export * from './ingest.service';
export * from './raw-topics.consumer';
export * from './source-ingest.controller';
