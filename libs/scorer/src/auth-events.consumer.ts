import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { TOPICS, type AuthEvent } from '@ratchet/contracts';
import type { DecodedBatch } from '@ratchet/platform';
import { ScoringService } from './scoring.service';

/** Consumes `auth.events` a partition batch at a time (EventLogTransport). */
@Controller()
export class AuthEventsConsumer {
  constructor(@Inject(ScoringService) private readonly scoring: ScoringService) {}

  @EventPattern(TOPICS.authEvents)
  async onBatch(@Payload() batch: DecodedBatch<AuthEvent>): Promise<void> {
    await this.scoring.processBatch(batch.items);
  }
}
