import { AppError, parseDuration } from '@ratchet/kernel';

export class InvalidDetectorConfig extends AppError {
  constructor(detectorId: string, field: string, problem: string) {
    super('DETECTION.INVALID_CONFIG', `${detectorId}.${field}: ${problem}`);
  }
}

export interface ThresholdWindow {
  /** Fires when the count in the window reaches this. */
  threshold: number;
  windowMs: number;
}

/** Reads `{ threshold, window }` over defaults; durations as `5m` or milliseconds. */
export function compileThresholdWindow(detectorId: string, raw: unknown, defaults: ThresholdWindow): ThresholdWindow {
  if (raw === undefined || raw === null) return defaults;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new InvalidDetectorConfig(detectorId, '(settings)', 'must be an object');
  const { threshold, window, ...rest } = raw as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw new InvalidDetectorConfig(detectorId, unknown[0] as string, 'is not a setting of this detector');
  const result = { ...defaults };
  if (threshold !== undefined) {
    if (typeof threshold !== 'number' || !Number.isInteger(threshold) || threshold < 1) {
      throw new InvalidDetectorConfig(detectorId, 'threshold', 'must be a whole number of at least 1');
    }
    result.threshold = threshold;
  }
  if (window !== undefined) {
    if (typeof window !== 'string' && typeof window !== 'number') throw new InvalidDetectorConfig(detectorId, 'window', 'must be a duration such as 5m');
    try {
      result.windowMs = parseDuration(window);
    } catch {
      throw new InvalidDetectorConfig(detectorId, 'window', `"${String(window)}" is not a duration (use e.g. 500ms, 30s, 5m, 1h, 7d)`);
    }
    if (result.windowMs <= 0) throw new InvalidDetectorConfig(detectorId, 'window', 'must be longer than zero');
  }
  return result;
}
