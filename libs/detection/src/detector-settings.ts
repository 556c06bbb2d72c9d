import { compileAddressSet, InvalidAddressList, parseDuration, type AddressSet } from '@ratchet/kernel';
import { compileNamePatterns, compileThresholdWindow, InvalidDetectorConfig, type NameMatcher, type ThresholdWindow } from './detector-config';

/**
 * Readers for detector settings beyond `{ threshold, window }`: each validates one field once, at
 * compile time, and throws InvalidDetectorConfig naming `detector.field`.
 */

/** The settings object (empty when absent); refuses anything but an object and any field not in `fields`. */
export function readSettings(detectorId: string, raw: unknown, fields: readonly string[]): Readonly<Record<string, unknown>> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new InvalidDetectorConfig(detectorId, '(settings)', 'must be an object');
  for (const key of Object.keys(raw)) {
    if (!fields.includes(key)) throw new InvalidDetectorConfig(detectorId, key, `is not a setting of this detector (settings: ${fields.join(', ')})`);
  }
  return raw as Record<string, unknown>;
}

/** `threshold` and `window` from settings already read by `readSettings`. */
export function readThresholdWindow(detectorId: string, settings: Readonly<Record<string, unknown>>, defaults: ThresholdWindow): ThresholdWindow {
  return compileThresholdWindow(detectorId, { threshold: settings['threshold'], window: settings['window'] }, defaults);
}

/** A list of non-empty strings; `fallback` when absent. */
export function readStringList(detectorId: string, field: string, value: unknown, fallback: readonly string[]): readonly string[] {
  if (value === undefined) return fallback;
  if (!Array.isArray(value)) throw new InvalidDetectorConfig(detectorId, field, 'must be a list of strings');
  value.forEach((item: unknown, i) => {
    if (typeof item !== 'string' || item.trim() === '') throw new InvalidDetectorConfig(detectorId, `${field}[${i}]`, 'must be a non-empty string');
  });
  return value as string[];
}

export function readBoolean(detectorId: string, field: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new InvalidDetectorConfig(detectorId, field, 'must be true or false');
  return value;
}

/** HTTP statuses such as `[400, 403, 404]`. */
export function readStatusList(detectorId: string, field: string, value: unknown, fallback: readonly number[]): ReadonlySet<number> {
  if (value === undefined) return new Set(fallback);
  if (!Array.isArray(value) || value.length === 0) throw new InvalidDetectorConfig(detectorId, field, 'must be a non-empty list of HTTP statuses');
  value.forEach((item: unknown, i) => {
    if (typeof item !== 'number' || !Number.isInteger(item) || item < 100 || item > 599) {
      throw new InvalidDetectorConfig(detectorId, `${field}[${i}]`, 'must be an HTTP status from 100 to 599');
    }
  });
  return new Set(value as number[]);
}

/** Addresses and CIDRs, IPv4 and IPv6. */
export function readAddressSet(detectorId: string, field: string, value: unknown, fallback: readonly string[]): AddressSet {
  const entries = readStringList(detectorId, field, value, fallback);
  try {
    return compileAddressSet(field, entries);
  } catch (err) {
    if (err instanceof InvalidAddressList) throw new InvalidDetectorConfig(detectorId, field, err.message.slice(field.length + 1));
    throw err;
  }
}

/** A duration (`30s`, `1d`, or milliseconds) longer than zero. */
export function readDuration(detectorId: string, field: string, value: unknown, fallbackMs: number): number {
  if (value === undefined) return fallbackMs;
  if (typeof value !== 'string' && typeof value !== 'number') throw new InvalidDetectorConfig(detectorId, field, 'must be a duration such as 1d');
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch {
    throw new InvalidDetectorConfig(detectorId, field, `"${String(value)}" is not a duration (use e.g. 30s, 5m, 1h, 7d)`);
  }
  if (!(ms > 0)) throw new InvalidDetectorConfig(detectorId, field, 'must be longer than zero');
  return ms;
}

/** A whole number of at least `min`. */
export function readWholeNumber(detectorId: string, field: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new InvalidDetectorConfig(detectorId, field, `must be a whole number of at least ${min}`);
  }
  return value;
}

export function readNamePatterns(detectorId: string, field: string, value: unknown, fallback: readonly string[]): NameMatcher {
  return compileNamePatterns(readStringList(detectorId, field, value, fallback));
}
