import { Module, type DynamicModule } from '@nestjs/common';
import { sourceCatalogue, type SourceCatalogue } from '@ratchet/sources';
import { COLLECTOR_SETTINGS, compileCollectorSettings, type CollectorOptions } from './collector-settings';
import { EventsController } from './events.controller';
import { IngestService } from './ingest.service';
import { RawTopicsConsumer } from './raw-topics.consumer';
import { SOURCE_CATALOGUE, SourceIngestController } from './source-ingest.controller';

export interface CollectorModuleOptions extends Partial<CollectorOptions> {
  /** The sources `POST /v1/ingest/{source}` and the raw topics read. Default: the built-in ones (`sourceCatalogue()`). */
  sources?: SourceCatalogue;
}

/**
 * The collector: reads records (HTTP ingest, raw topics), admits and enriches events, and streams
 * them to `auth.events`. Options are compiled here, at start-up: a configured database that is
 * missing stops the process with a message naming the variable and the path.
 */
@Module({})
export class CollectorModule {
  static forRoot(options: CollectorModuleOptions = {}): DynamicModule {
    const { sources, ...collector } = options;
    return {
      module: CollectorModule,
      controllers: [EventsController, SourceIngestController],
      providers: [
        { provide: COLLECTOR_SETTINGS, useValue: compileCollectorSettings(collector) },
        { provide: SOURCE_CATALOGUE, useValue: sources ?? sourceCatalogue() },
        IngestService,
        RawTopicsConsumer,
      ],
      exports: [IngestService],
    };
  }
}
