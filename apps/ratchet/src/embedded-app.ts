import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { registerIngestBodyParsers } from '@ratchet/collector';
import { EVENT_LOG, TOPICS, type EventLog } from '@ratchet/contracts';
import { connectEventLog, createHttpApp, MemoryEventLog, type MemoryPlatformOptions } from '@ratchet/platform';
import type { EmbeddedConfig } from './config';
import { EmbeddedModule } from './embedded.module';

/** Builds and starts the embedded shape; the caller owns `app.close()`. */
export async function startEmbedded(config: EmbeddedConfig, platform: MemoryPlatformOptions = {}): Promise<NestFastifyApplication> {
  const eventLog = platform.eventLog ?? new MemoryEventLog();
  const app = await createHttpApp(EmbeddedModule.create(config, { ...platform, eventLog }), {
    bodyLimit: config.bodyLimit,
    logFormat: config.logFormat,
    logLevels: config.logLevels,
    configure: (a) => registerIngestBodyParsers(a.getHttpAdapter().getInstance(), config.bodyLimit),
  });
  const log = app.get<EventLog>(EVENT_LOG);
  connectEventLog(app, log, 'ratchet-scorer', [TOPICS.authEvents]);
  connectEventLog(app, log, 'ratchet-enforcer', [TOPICS.riskScores]);
  await app.startAllMicroservices();
  await app.listen({ host: config.host, port: config.port });
  return app;
}
