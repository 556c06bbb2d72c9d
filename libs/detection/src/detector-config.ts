import { AppError, compileAddressSet, escapeRegExp, InvalidAddressList, parseDuration, type AddressSet } from '@ratchet/kernel';

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
  return compileSettings(detectorId, raw, defaults, THRESHOLD_WINDOW_SETTINGS);
}

/**
 * What is wrong with a setting's value: the problem, or the problem with one item of a list
 * (reported as `field[item]`, so an operator finds the entry in a long list).
 */
export type SettingProblem = string | { readonly item: number; readonly problem: string };

/**
 * Reads one operator setting into the compiled settings; answers the problem when the value is
 * not acceptable (the caller names the detector and field).
 */
export type SettingReader<P> = (value: unknown, into: P) => SettingProblem | undefined;

/** `threshold` and `window` into a `ThresholdWindow`; spread into a detector's table beside its own settings. */
export const THRESHOLD_WINDOW_SETTINGS: Readonly<Record<string, SettingReader<ThresholdWindow>>> = {
  threshold: wholeNumberSetting('threshold'),
  window: durationSetting('windowMs'),
};

/** The fields of `P` a value of type `V` can be written into. */
type FieldsFor<P, V> = { [K in keyof P]-?: V extends P[K] ? K : never }[keyof P] & string;
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
    if (!read) throw new InvalidDetectorConfig(detectorId, name, `is not a setting of this detector (${settingsOf(readers)})`);
    if (value === undefined) continue;
    const problem = read(value, result);
    if (problem === undefined) continue;
    if (typeof problem === 'string') throw new InvalidDetectorConfig(detectorId, name, problem);
    throw new InvalidDetectorConfig(detectorId, `${name}[${problem.item}]`, problem.problem);
  }
  return result;
}

function settingsOf(readers: Readonly<Record<string, unknown>>): string {
  const names = Object.keys(readers);
  return names.length === 0 ? 'it has none' : `settings: ${names.join(', ')}`;
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

/** `true` or `false` into `field`. */
export function booleanSetting<P>(field: FieldsFor<P, boolean>): SettingReader<P> {
  return (value, into) => {
    if (typeof value !== 'boolean') return 'must be true or false';
    (into as Record<string, unknown>)[field] = value;
    return undefined;
  };
}

/** The problem with a list of non-empty strings; undefined when `value` is one. */
function stringListProblem(value: unknown): SettingProblem | undefined {
  if (!Array.isArray(value)) return 'must be a list of strings';
  const item = value.findIndex((entry: unknown) => typeof entry !== 'string' || entry.trim() === '');
  return item < 0 ? undefined : { item, problem: 'must be a non-empty string' };
}

/** A list of non-empty strings into `field`, as given. */
export function stringListSetting<P>(field: FieldsFor<P, readonly string[]>): SettingReader<P> {
  return (value, into) => {
    const problem = stringListProblem(value);
    if (problem !== undefined) return problem;
    (into as Record<string, unknown>)[field] = value;
    return undefined;
  };
}

export interface StringSetOptions {
  /** Compared case-insensitively, so kept in lower case (file extensions, trust domains). */
  readonly lowerCase?: boolean;
  /** Refuses an empty list with this problem, where an empty set would make the detector meaningless. */
  readonly whenEmpty?: string;
}

/** A list of non-empty strings into `field` as a set. */
export function stringSetSetting<P>(field: FieldsFor<P, ReadonlySet<string>>, options: StringSetOptions = {}): SettingReader<P> {
  return (value, into) => {
    const problem = stringListProblem(value);
    if (problem !== undefined) return problem;
    const items = value as string[];
    if (items.length === 0 && options.whenEmpty !== undefined) return options.whenEmpty;
    (into as Record<string, unknown>)[field] = new Set(options.lowerCase ? items.map((item) => item.toLowerCase()) : items);
    return undefined;
  };
}

/** HTTP statuses such as `[400, 403, 404]` into `field` as a set; at least one. */
export function statusListSetting<P>(field: FieldsFor<P, ReadonlySet<number>>): SettingReader<P> {
  return (value, into) => {
    if (!Array.isArray(value) || value.length === 0) return 'must be a non-empty list of HTTP statuses';
    const item = value.findIndex((status: unknown) => typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599);
    if (item >= 0) return { item, problem: 'must be an HTTP status from 100 to 599' };
    (into as Record<string, unknown>)[field] = new Set(value as number[]);
    return undefined;
  };
}

/** Addresses and CIDRs, IPv4 and IPv6, into `field` as an `AddressSet`. */
export function addressSetSetting<P>(field: FieldsFor<P, AddressSet>): SettingReader<P> {
  return (value, into) => {
    const problem = stringListProblem(value);
    if (problem !== undefined) return problem;
    try {
      (into as Record<string, unknown>)[field] = compileAddressSet(field, value as string[]);
    } catch (err) {
      // The caller names the setting before the problem; the kernel's message names the list too.
      if (err instanceof InvalidAddressList) return `"${err.entry}" ${err.problem}`;
      throw err;
    }
    return undefined;
  };
}

/** Tests a name against patterns where `*` stands for any run of characters (`system:serviceaccount:kube-system:*`). */
export type NameMatcher = (name: string) => boolean;

const NOTHING: NameMatcher = () => false;

/** Name patterns (`*` for any run of characters) into `field` as a `NameMatcher`. */
export function namePatternsSetting<P>(field: FieldsFor<P, NameMatcher>): SettingReader<P> {
  return (value, into) => {
    const problem = stringListProblem(value);
    if (problem !== undefined) return problem;
    (into as Record<string, unknown>)[field] = compileNamePatterns(value as string[]);
    return undefined;
  };
}

export function compileNamePatterns(patterns: readonly string[]): NameMatcher {
  if (patterns.length === 0) return NOTHING;
  const exact = new Set(patterns.filter((p) => !p.includes('*')));
  const globs = patterns.filter((p) => p.includes('*'));
  if (globs.length === 0) return (name) => exact.has(name);
  const glob = new RegExp(`^(?:${globs.map((g) => g.split('*').map(escapeRegExp).join('.*')).join('|')})$`);
  return (name) => exact.has(name) || glob.test(name);
}
