import { Module } from '@nestjs/common';
import { EventsController } from './events.controller';
import { IngestService } from './ingest.service';
import { SourceIngestController } from './source-ingest.controller';

/** The collector: validates canonical events at the edge and streams them to `auth.events`. */
@Module({ controllers: [EventsController, SourceIngestController], providers: [IngestService], exports: [IngestService] })
export class CollectorModule {}
