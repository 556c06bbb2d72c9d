import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { startTelemetry } from '@ratchet/platform';
import { readEmbeddedConfig } from './config';
import { startDemoTraffic } from './demo/demo-traffic';
import { startEmbedded } from './embedded-app';

/** `ratchet` — the embedded shape: collector, scorer and enforcer in one process, in memory. */
async function main(): Promise<void> {
  const config = readEmbeddedConfig();
  const telemetry = startTelemetry({ serviceName: 'ratchet', ...config.telemetry });
  const app = await startEmbedded(config);
  const bound = app.getHttpServer().address();
  const address = `http://${config.host}:${typeof bound === 'object' && bound ? bound.port : config.port}`;
  const log = new Logger('ratchet');
  log.log(`listening on ${address}: POST /v1/events, GET /authz, GET /v1/decisions, /healthz, /readyz, /metrics`);
  if (process.argv.includes('--demo')) {
    const demo = startDemoTraffic(address);
    app.getHttpServer().on('close', () => demo.stop());
  }
  process.on('beforeExit', () => void telemetry.shutdown());
}

main().catch((err: unknown) => {
  // Configuration errors name the variable; print them plainly and exit non-zero.
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
