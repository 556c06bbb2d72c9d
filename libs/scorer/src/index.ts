export * from './auth-events.consumer';
export * from './scorer.module';
export * from './scoring.service';
