import type { RiskSignal } from '@ratchet/contracts';
import { entityRef } from '@ratchet/kernel';
import { isFailedLogin, thresholdSignal, type Detector } from './detector';
import { compileThresholdWindow, type ThresholdWindow } from './detector-config';

/** One address failing logins for many different principals: a few passwords tried across many accounts. */
export const passwordSprayDetector: Detector<ThresholdWindow> = {
  id: 'auth.password-spray',
  signalType: 'password_spray',
  summary: 'An address with failed logins for `threshold` distinct principals within `window` (defaults: 10 in 5m)',
  defaults: { threshold: 10, windowMs: 5 * 60_000 },
  compile(raw) {
    return compileThresholdWindow(this.id, raw, this.defaults);
  },
  plan(event, p) {
    const ip = event.client?.ip;
    const principal = event.principal?.id;
    if (!ip || !principal || !isFailedLogin(event)) return [];
    return [{ kind: 'window.distinct', key: `spray:ip:${ip}`, member: principal, at: event.ts, windowMs: p.windowMs }];
  },
  detect(event, [principals], p): RiskSignal[] {
    if (typeof principals !== 'number' || principals < p.threshold) return [];
    const entity = entityRef('ip', event.client?.ip as string);
    return [thresholdSignal(this, event, entity, { count: principals, countName: 'distinctPrincipals', threshold: p.threshold, windowMs: p.windowMs })];
  },
};
