import { Controller, Get, HttpStatus, Inject, Param } from '@nestjs/common';
import { STATE_STORE, type StateStore } from '@ratchet/detection';
import type { Clock } from '@ratchet/kernel';
import { CLOCK, ProblemException } from '@ratchet/platform';
import { assessRisk, explainEntity, riskRecord, SIGNAL_STORE, type ExplainedContribution, type SignalStore } from '@ratchet/risk';
import { SCORER_SETTINGS, type ScorerSettings } from './scoring.service';
import { encodeCursor, readEntityParameter, signalView, type SignalView } from './signal-api';

/** How many of an entity's signals GET /v1/entities/{entity} shows; `next` pages on at /v1/signals. */
export const ENTITY_SIGNALS = 20;

export interface EntityView {
  entity: string;
  risk: {
    /** 0–100, decayed to `at`. */
    score: number;
    level: string;
    /** When the question was asked: the score is decayed to this moment. */
    at: string;
    contributions: Array<Omit<ExplainedContribution, 'at'> & { at: string }>;
  };
  /** For people: the score and what contributes to it, naming signals, detectors, evidence and events. */
  explanation: string;
  /** The entity's latest signals, newest first. */
  signals: SignalView[];
  /** Cursor for GET /v1/signals?entity=…&cursor=… when the entity has more signals. */
  next?: string;
}

/**
 * GET /v1/entities/{entity}: an entity's risk now (its record decayed to the clock's present),
 * what contributes to it and the latest signals with their evidence. The reference may be
 * URL-encoded (`svc:` ids hold slashes); 404 when Ratchet holds nothing on the entity.
 */
@Controller('v1/entities')
export class EntitiesController {
  constructor(
    @Inject(SCORER_SETTINGS) private readonly settings: ScorerSettings,
    @Inject(STATE_STORE) private readonly state: StateStore,
    @Inject(SIGNAL_STORE) private readonly signals: SignalStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** A wildcard, not `:entity`, so a `svc:` id's slashes may come unencoded; Fastify decodes it. */
  @Get('*')
  async get(@Param('*') raw: string): Promise<EntityView> {
    const entity = readEntityParameter('entity', raw);
    const [[record = {}], page] = await Promise.all([
      this.state.execute([{ kind: 'record.read', ...riskRecord(entity) }]),
      this.signals.query({ entity, limit: ENTITY_SIGNALS }),
    ]);
    const risk = assessRisk(entity, record as Readonly<Record<string, string>>, this.clock.now(), this.settings.riskModel);
    if (risk.contributions.length === 0 && page.signals.length === 0) {
      throw new ProblemException({
        type: 'https://ratchet.dev/problems/unknown-entity',
        title: 'Not Found',
        status: HttpStatus.NOT_FOUND,
        detail: `Ratchet holds no risk and no signal for ${entity}`,
      });
    }
    const explained = explainEntity(risk, page.signals);
    return {
      entity,
      risk: {
        score: risk.score,
        level: risk.level,
        at: new Date(risk.at).toISOString(),
        contributions: explained.contributions.map((c) => ({ ...c, at: new Date(c.at).toISOString() })),
      },
      explanation: explained.summary,
      signals: page.signals.map(signalView),
      ...(page.next ? { next: encodeCursor(page.next) } : {}),
    };
  }
}
