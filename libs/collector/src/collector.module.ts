import { Module, type DynamicModule } from '@nestjs/common';
import { COLLECTOR_SETTINGS, compileCollectorSettings, type CollectorOptions } from './collector-settings';
import { EventsController } from './events.controller';
import { IngestService } from './ingest.service';
import { RawTopicsConsumer } from './raw-topics.consumer';
import { SourceIngestController } from './source-ingest.controller';

/**
 * The collector: reads records (HTTP ingest, raw topics), admits and enriches events, and streams
 * them to `auth.events`. Options are compiled here, at start-up: a configured database that is
 * missing stops the process with a message naming the variable and the path.
 */
@Module({})
export class CollectorModule {
  static forRoot(options: Partial<CollectorOptions> = {}): DynamicModule {
    return {
      module: CollectorModule,
      controllers: [EventsController, SourceIngestController],
      providers: [{ provide: COLLECTOR_SETTINGS, useValue: compileCollectorSettings(options) }, IngestService, RawTopicsConsumer],
      exports: [IngestService],
    };
  }
}
