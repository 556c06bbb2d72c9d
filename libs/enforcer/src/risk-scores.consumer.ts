import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { TOPICS, type RiskScore } from '@ratchet/contracts';
import type { DecodedBatch } from '@ratchet/platform';
import { EnforcementService } from './enforcement.service';

/** Consumes `risk.scores` a partition batch at a time (EventLogTransport). */
@Controller()
export class RiskScoresConsumer {
  constructor(@Inject(EnforcementService) private readonly enforcement: EnforcementService) {}

  @EventPattern(TOPICS.riskScores)
  async onBatch(@Payload() batch: DecodedBatch<RiskScore>): Promise<void> {
    await this.enforcement.processBatch(batch.items);
  }
}
