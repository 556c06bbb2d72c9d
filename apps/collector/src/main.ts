import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { CollectorModule, registerIngestBodyParsers } from '@ratchet/collector';
import { createHttpApp, startTelemetry } from '@ratchet/platform';
import { servicesPlatform } from '@ratchet/platform/services';
import { readCollectorConfig } from './config';

/** The collector service: HTTP ingest and raw topics → validation, enrichment → `auth.events` / `auth.events.dlq` on Kafka. */
async function main(): Promise<void> {
  const config = readCollectorConfig();
  startTelemetry({ serviceName: 'ratchet-collector', ...config.platform.telemetry });

  @Module({ imports: [servicesPlatform(config.platform, 'collector'), CollectorModule.forRoot({ ...config.collector, sources: config.sources })] })
  class CollectorAppModule {}

  const app = await createHttpApp(CollectorAppModule, {
    bodyLimit: config.bodyLimit,
    logFormat: config.logFormat, logLevels: config.platform.logLevels,
    configure: (a) => registerIngestBodyParsers(a.getHttpAdapter().getInstance(), config.bodyLimit),
  });
  await app.listen({ host: config.host, port: config.port });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
