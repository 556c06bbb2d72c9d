import 'reflect-metadata';
import { Logger, Module } from '@nestjs/common';
import { EVENT_LOG, TOPICS, type EventLog } from '@ratchet/contracts';
import { STATE_STORE, type StateStore } from '@ratchet/detection';
import { createHttpApp, describeLoadedFeed, Readiness, startEventLogConsumer, startTelemetry } from '@ratchet/platform';
import { servicesPlatform } from '@ratchet/platform/services';
import { ScorerModule } from '@ratchet/scorer';
import { readScorerConfig } from './config';

/** The scorer service: `auth.events` → detectors + risk model (Redis) → `risk.signals`, `risk.scores`. */
async function main(): Promise<void> {
  const config = readScorerConfig();
  startTelemetry({ serviceName: 'ratchet-scorer', ...config.platform.telemetry });

  @Module({ imports: [servicesPlatform(config.platform, 'scorer'), ScorerModule.forRoot({ detectors: config.detectors.settings })] })
  class ScorerAppModule {}

  const app = await createHttpApp(ScorerAppModule, { bodyLimit: 1_024, logFormat: config.logFormat, logLevels: config.platform.logLevels });
  const log = new Logger('scorer');
  for (const feed of config.detectors.feeds) log.log(describeLoadedFeed(feed));
  const state = app.get<StateStore>(STATE_STORE);
  // A real round trip (an empty batch never reaches Redis) that writes nothing: read a record.
  const probe = { kind: 'record.read', key: 'health:scorer' } as const;
  app.get(Readiness).register('redis', async () => (await state.execute([probe])).length === 1);
  await startEventLogConsumer(app, app.get<EventLog>(EVENT_LOG), config.group, [TOPICS.authEvents]);
  await app.listen({ host: config.host, port: config.port });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
