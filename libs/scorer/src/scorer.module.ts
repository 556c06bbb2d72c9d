import { Module, type DynamicModule } from '@nestjs/common';
import { compileDetectors, type DetectorSettings } from '@ratchet/detection';
import { DEFAULT_RISK_MODEL, type RiskModel } from '@ratchet/risk';
import { AuthEventsConsumer } from './auth-events.consumer';
import { EntitiesController } from './entities.controller';
import { SCORER_SETTINGS, ScoringService, type ScorerSettings } from './scoring.service';
import { SignalsController } from './signals.controller';

export interface ScorerModuleOptions {
  /** Per-detector settings; defaults apply to what is not named. */
  detectors?: DetectorSettings;
  riskModel?: RiskModel;
}

/**
 * The scorer: detectors and risk model over `auth.events`, to `risk.signals` and `risk.scores`;
 * GET /v1/entities/{entity} and GET /v1/signals explain what it found.
 */
@Module({})
export class ScorerModule {
  static forRoot(options: ScorerModuleOptions = {}): DynamicModule {
    // Compiled here, at start-up: an invalid setting stops the process with a message naming it.
    const settings: ScorerSettings = { detectors: compileDetectors(options.detectors), riskModel: options.riskModel ?? DEFAULT_RISK_MODEL };
    return {
      module: ScorerModule,
      controllers: [AuthEventsConsumer, EntitiesController, SignalsController],
      providers: [{ provide: SCORER_SETTINGS, useValue: settings }, ScoringService],
      exports: [ScoringService],
    };
  }
}
