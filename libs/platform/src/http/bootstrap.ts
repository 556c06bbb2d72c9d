import { ConsoleLogger, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { EventLog } from '@ratchet/contracts';
import { EventLogTransport } from '../transport/event-log.transport';
import { ProblemFilter } from './problem.filter';
import { Readiness } from './readiness';

export interface HttpAppOptions {
  /** Largest request body in bytes; larger ones get 413. */
  bodyLimit: number;
  /** `json` for machines (services), `text` for people (embedded quick start). */
  logFormat: 'json' | 'text';
  logLevels?: LogLevel[];
  /** Runs before routes are ready, e.g. to register body parsers. */
  configure?: (app: NestFastifyApplication) => void;
}

/** A Nest application on Fastify with problem+json errors and graceful shutdown on SIGTERM/SIGINT. */
export async function createHttpApp(module: unknown, options: HttpAppOptions): Promise<NestFastifyApplication> {
  const logger = new ConsoleLogger({ json: options.logFormat === 'json', logLevels: options.logLevels ?? ['log', 'warn', 'error', 'fatal'] });
  const app = await NestFactory.create<NestFastifyApplication>(
    module as never,
    new FastifyAdapter({ bodyLimit: options.bodyLimit, trustProxy: false }),
    { logger, bodyParser: false, abortOnError: false },
  );
  app.useGlobalFilters(new ProblemFilter());
  app.enableShutdownHooks();
  options.configure?.(app);
  return app;
}

/** Attaches a batch consumer for `topics` in consumer `group`; started by `app.startAllMicroservices()`. */
export function connectEventLog(app: NestFastifyApplication, eventLog: EventLog, group: string, topics: readonly string[]): void {
  app.connectMicroservice({ strategy: new EventLogTransport(eventLog, { group, topics }) }, { inheritAppConfig: true });
}

/**
 * Starts a service's batch consumer and reports it in /readyz (`consumer`): ready once the
 * group has joined and the handler is wired.
 */
export async function startEventLogConsumer(app: NestFastifyApplication, eventLog: EventLog, group: string, topics: readonly string[]): Promise<void> {
  let consuming = false;
  app.get(Readiness).register('consumer', () => consuming);
  connectEventLog(app, eventLog, group, topics);
  await app.startAllMicroservices();
  consuming = true;
}
