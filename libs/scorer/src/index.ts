export * from './auth-events.consumer';
export * from './entities.controller';
export * from './scorer.module';
export * from './scoring.service';
export * from './signal-api';
export * from './signals.controller';
