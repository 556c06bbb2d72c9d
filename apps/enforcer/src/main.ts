import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { EVENT_LOG, TOPICS, type EventLog } from '@ratchet/contracts';
import { EnforcerModule } from '@ratchet/enforcer';
import { createHttpApp, startEventLogConsumer, startTelemetry } from '@ratchet/platform';
import { servicesPlatform } from '@ratchet/platform/services';
import { readEnforcerConfig } from './config';

/** The enforcer service: `risk.scores` → chains → decisions (Redis, mirrored) → `/authz`, `enforcement.actions`. */
async function main(): Promise<void> {
  const config = readEnforcerConfig();
  startTelemetry({ serviceName: 'ratchet-enforcer', ...config.platform.telemetry });

  @Module({
    imports: [servicesPlatform(config.platform, 'enforcer'), EnforcerModule.forRoot({ trustedProxies: config.trustedProxies, allowlist: config.allowlist, ...config.fastPath })],
  })
  class EnforcerAppModule {}

  const app = await createHttpApp(EnforcerAppModule, { bodyLimit: 1_024, logFormat: config.logFormat, logLevels: config.platform.logLevels });
  await startEventLogConsumer(app, app.get<EventLog>(EVENT_LOG), config.group, [TOPICS.riskScores]);
  await app.listen({ host: config.host, port: config.port });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
