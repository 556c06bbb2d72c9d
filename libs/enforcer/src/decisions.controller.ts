import { Controller, Get, Inject } from '@nestjs/common';
import type { ActionParams, ActionReason } from '@ratchet/contracts';
import { DecisionMirrorService } from './decision-mirror.service';

export interface DecisionView {
  id: string;
  entity: string;
  action: string;
  mode: string;
  /** Absent when the action takes none. `ratchet policy render --url` renders from these. */
  params?: ActionParams;
  reason: ActionReason;
  decidedAt: string;
  expiresAt: string;
}

/** GET /v1/decisions: the decisions in force, soonest to expire first. */
@Controller('v1/decisions')
export class DecisionsController {
  constructor(@Inject(DecisionMirrorService) private readonly decisions: DecisionMirrorService) {}

  @Get()
  list(): { decisions: DecisionView[] } {
    return {
      decisions: this.decisions.active().map((d) => ({
        id: d.id,
        entity: d.entity,
        action: d.action,
        mode: d.mode,
        ...(d.params ? { params: d.params } : {}),
        reason: d.reason,
        decidedAt: new Date(d.decidedAt).toISOString(),
        expiresAt: new Date(d.expiresAt).toISOString(),
      })),
    };
  }
}
