import { Module, type DynamicModule } from '@nestjs/common';
import { compileDetectors, type DetectorSettings } from '@ratchet/detection';
import { DEFAULT_RISK_MODEL, type RiskModel } from '@ratchet/risk';
import { AuthEventsConsumer } from './auth-events.consumer';
import { SCORER_SETTINGS, ScoringService, type ScorerSettings } from './scoring.service';

export interface ScorerModuleOptions {
  /** Per-detector settings; defaults apply to what is not named. */
  detectors?: DetectorSettings;
  riskModel?: RiskModel;
}

/** The scorer: detectors and risk model over `auth.events`, to `risk.signals` and `risk.scores`. */
@Module({})
export class ScorerModule {
  static forRoot(options: ScorerModuleOptions = {}): DynamicModule {
    // Compiled here, at start-up: an invalid setting stops the process with a message naming it.
    const settings: ScorerSettings = { detectors: compileDetectors(options.detectors), riskModel: options.riskModel ?? DEFAULT_RISK_MODEL };
    return {
      module: ScorerModule,
      controllers: [AuthEventsConsumer],
      providers: [{ provide: SCORER_SETTINGS, useValue: settings }, ScoringService],
      exports: [ScoringService],
    };
  }
}
