import { Module, type DynamicModule } from '@nestjs/common';
import { sourceCatalogue, type SourceCatalogue } from '@ratchet/sources';
import { EventsController } from './events.controller';
import { IngestService } from './ingest.service';
import { SOURCE_CATALOGUE, SourceIngestController } from './source-ingest.controller';

export interface CollectorModuleOptions {
  /** The sources `POST /v1/ingest/{source}` reads. Default: the built-in ones (`sourceCatalogue()`). */
  sources?: SourceCatalogue;
}

/** The collector: validates canonical events at the edge and streams them to `auth.events`. */
@Module({})
export class CollectorModule {
  static forRoot(options: CollectorModuleOptions = {}): DynamicModule {
    return {
      module: CollectorModule,
      controllers: [EventsController, SourceIngestController],
      providers: [IngestService, { provide: SOURCE_CATALOGUE, useValue: options.sources ?? sourceCatalogue() }],
      exports: [IngestService],
    };
  }
}
