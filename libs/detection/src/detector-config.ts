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
  return compileSettings(detectorId, raw, defaults, THRESHOLD_WINDOW);
}

const THRESHOLD_WINDOW: Readonly<Record<string, SettingReader<ThresholdWindow>>> = {
  threshold: wholeNumberSetting('threshold'),
  window: durationSetting('windowMs'),
};

/**
 * Reads one operator setting into the compiled settings; answers the problem when the value is
 * not acceptable (the caller names the detector and field).
 */
export type SettingReader<P> = (value: unknown, into: P) => string | undefined;

type NumberKeys<P> = { [K in keyof P]: P[K] extends number ? K : never }[keyof P] & string;

/**
 * Reads `raw` (an object of operator settings, or nothing) over `defaults`, each setting with its
 * reader; refuses unknown settings and bad values naming the detector and the setting.
 */
export function compileSettings<P extends object>(detectorId: string, raw: unknown, defaults: P, readers: Readonly<Record<string, SettingReader<P>>>): P {
  if (raw === undefined || raw === null) return defaults;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new InvalidDetectorConfig(detectorId, '(settings)', 'must be an object');
  const result = { ...defaults };
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    const read = Object.hasOwn(readers, name) ? readers[name] : undefined;
    if (!read) throw new InvalidDetectorConfig(detectorId, name, 'is not a setting of this detector');
    if (value === undefined) continue;
    const problem = read(value, result);
    if (problem !== undefined) throw new InvalidDetectorConfig(detectorId, name, problem);
  }
  return result;
}

/** A whole number of at least `min` into `field`. */
export function wholeNumberSetting<P>(field: NumberKeys<P>, min = 1): SettingReader<P> {
  return (value, into) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) return `must be a whole number of at least ${min}`;
    (into as Record<string, unknown>)[field] = value;
    return undefined;
  };
}

/** A number in [min, max] into `field`. */
export function numberSetting<P>(field: NumberKeys<P>, min: number, max = Number.POSITIVE_INFINITY): SettingReader<P> {
  return (value, into) => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      return max === Number.POSITIVE_INFINITY ? `must be a number of at least ${min}` : `must be a number from ${min} to ${max}`;
    }
    (into as Record<string, unknown>)[field] = value;
    return undefined;
  };
}

/** A duration longer than zero (`5m`, `1h`, or milliseconds) into `field`, in milliseconds. */
export function durationSetting<P>(field: NumberKeys<P>): SettingReader<P> {
  return (value, into) => {
    if (typeof value !== 'string' && typeof value !== 'number') return 'must be a duration such as 5m';
    let ms: number;
    try {
      ms = parseDuration(value);
    } catch {
      return `"${String(value)}" is not a duration (use e.g. 500ms, 30s, 5m, 1h, 7d)`;
    }
    if (ms <= 0) return 'must be longer than zero';
    (into as Record<string, unknown>)[field] = ms;
    return undefined;
  };
}
