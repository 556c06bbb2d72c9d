import type { RiskSignal } from '@ratchet/contracts';
import { entityRef } from '@ratchet/kernel';
import { isFailedLogin, thresholdSignal, type Detector } from './detector';
import { compileThresholdWindow, type ThresholdWindow } from './detector-config';

/** Many failed logins from one address in a short window. */
export const bruteForceDetector: Detector<ThresholdWindow> = {
  id: 'auth.brute-force',
  signalType: 'brute_force',
  summary: 'An address with `threshold` failed logins within `window` (defaults: 20 in 5m)',
  defaults: { threshold: 20, windowMs: 5 * 60_000 },
  compile(raw) {
    return compileThresholdWindow(this.id, raw, this.defaults);
  },
  plan(event, p) {
    const ip = event.client?.ip;
    if (!ip || !isFailedLogin(event)) return [];
    return [{ kind: 'window.count', key: `bf:ip:${ip}`, member: event.id, at: event.ts, windowMs: p.windowMs }];
  },
  detect(event, [failures], p): RiskSignal[] {
    if (typeof failures !== 'number' || failures < p.threshold) return [];
    const entity = entityRef('ip', event.client?.ip as string);
    return [thresholdSignal(this, event, entity, { count: failures, countName: 'failures', threshold: p.threshold, windowMs: p.windowMs })];
  },
};
