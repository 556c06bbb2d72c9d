import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import {
  anonymizerDetector,
  blocklistedAddressDetector,
  compileAddressIntel,
  compileDetectors,
  InvalidDetectorConfig,
  InvalidIntelFeed,
  parsePlainList,
  parseStixBundle,
  type DetectorSettings,
  type Feed,
  type ParsedFeed,
} from '@ratchet/detection';
import { errorMessage } from '@ratchet/kernel';
import { ConfigError } from './env';

type Env = Readonly<Record<string, string | undefined>>;

/** Feed file formats: `plain` and `ipsum` (one address or CIDR a line, optional count column), `stix` (a STIX 2.1 bundle). */
export const FEED_FORMATS = ['plain', 'ipsum', 'stix'] as const;
export type FeedFormat = (typeof FEED_FORMATS)[number];

/** Which detector each feed variable feeds. */
const FEED_VARIABLES = [
  { variable: 'RATCHET_INTEL_BLOCKLISTS', detector: blocklistedAddressDetector.id, labels: [] },
  // A list given as anonymizers is one by the operator's word: label it so intel.anonymizer counts it.
  { variable: 'RATCHET_INTEL_ANONYMIZERS', detector: anonymizerDetector.id, labels: ['anonymizer'] },
] as const;

/** One feed file as loaded, for the start-up log. */
export interface LoadedFeed {
  variable: string;
  detector: string;
  format: FeedFormat;
  path: string;
  /** The feed's name in signals' evidence: the file's name. */
  name: string;
  /** Distinct addresses and networks kept. */
  indicators: number;
  /** Entries left out, per reason (zero counts, expired or revoked STIX indicators …). */
  skipped: ParsedFeed['skipped'];
}

export interface DetectorConfig {
  /** For `ScorerModule.forRoot({ detectors })`: the settings file, with the feeds added. */
  settings: DetectorSettings;
  feeds: LoadedFeed[];
}

/**
 * Reads detector settings and threat-intel feeds once, at start-up:
 *
 * - `RATCHET_DETECTORS`: path of a JSON file, `{ "<detector id>": settings | false }`
 *   (`{ "auth.brute-force": { "threshold": 30, "window": "10m" }, "auth.password-spray": false }`).
 *   Default: none, every detector with its defaults.
 * - `RATCHET_INTEL_BLOCKLISTS`, `RATCHET_INTEL_ANONYMIZERS`: comma-separated `<format>:<path>`
 *   (`ipsum:/feeds/ipsum.txt,stix:/feeds/bundle.json`), feeds of `intel.blocklisted-address`
 *   and `intel.anonymizer`, added to any the settings file gives inline. Default: none.
 *
 * Every error names the variable and the file, and the line or indicator where there is one.
 * `now` judges STIX validity windows. Feeds are read once; restart to reload them.
 */
export function readDetectorConfig(env: Env, now: number, readText: (path: string) => string = (path) => readFileSync(path, 'utf8')): DetectorConfig {
  const file = env['RATCHET_DETECTORS']?.trim();
  const settings: Record<string, unknown> = file ? readSettingsFile(file, readText) : {};
  const feeds: LoadedFeed[] = [];
  for (const { variable, detector, labels } of FEED_VARIABLES) {
    const specs = (env[variable] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (specs.length === 0) continue;
    const loaded = specs.map((spec) => loadFeed(variable, detector, spec, labels, now, readText));
    const names = new Set<string>();
    for (const { info } of loaded) {
      if (names.has(info.name)) throw new ConfigError(variable, `two feeds are named ${info.name}; feeds are named after their file, so give each a different file name`);
      names.add(info.name);
    }
    const current = settings[detector];
    if (current === false) throw new ConfigError(variable, `gives feeds to ${detector}, which ${file} disables`);
    const own = isObject(current) ? current : {};
    const inline = Array.isArray(own['feeds']) ? (own['feeds'] as unknown[]) : [];
    settings[detector] = { ...own, feeds: [...inline, ...loaded.map((l) => l.feed)] };
    feeds.push(...loaded.map((l) => l.info));
  }
  return { settings, feeds };
}

function readSettingsFile(path: string, readText: (path: string) => string): Record<string, unknown> {
  const variable = 'RATCHET_DETECTORS';
  const text = readFile(variable, path, readText);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(variable, `${path}${jsonErrorPlace(text, err)}: is not JSON: ${errorMessage(err)}`);
  }
  if (!isObject(parsed)) throw new ConfigError(variable, `${path}: must hold an object of detector settings, e.g. { "auth.brute-force": { "threshold": 30 } }`);
  try {
    compileDetectors(parsed);
  } catch (err) {
    if (err instanceof InvalidDetectorConfig) throw new ConfigError(variable, `${path}: ${err.message}`);
    throw err;
  }
  return { ...parsed };
}

function loadFeed(
  variable: string,
  detector: string,
  spec: string,
  labels: readonly string[],
  now: number,
  readText: (path: string) => string,
): { feed: Feed; info: LoadedFeed } {
  const colon = spec.indexOf(':');
  const format = spec.slice(0, Math.max(0, colon));
  const path = spec.slice(colon + 1).trim();
  if (!(FEED_FORMATS as readonly string[]).includes(format) || path === '') {
    throw new ConfigError(variable, `"${spec}" must be <format>:<path> with format one of ${FEED_FORMATS.join(', ')}`);
  }
  const text = readFile(variable, path, readText);
  const name = basename(path);
  try {
    const parsed = format === 'stix' ? parseStixBundle(text, { name, labels, now }) : parsePlainList(text, { name, labels });
    // Compiled alone, here, so a bad entry is reported against its file and the count is of distinct indicators.
    const indicators = compileAddressIntel([parsed.feed]).size;
    return { feed: parsed.feed, info: { variable, detector, format: format as FeedFormat, path, name, indicators, skipped: parsed.skipped } };
  } catch (err) {
    if (err instanceof InvalidIntelFeed) throw new ConfigError(variable, `${path} ${err.message.slice(err.feed.length + 1)}`);
    throw err;
  }
}

function readFile(variable: string, path: string, readText: (path: string) => string): string {
  try {
    return readText(path);
  } catch (err) {
    throw new ConfigError(variable, `cannot read ${path}: ${errorMessage(err)}`);
  }
}

/** ` line 3 column 5` from JSON.parse's `at position 42`, or nothing when it names no position. */
function jsonErrorPlace(text: string, err: unknown): string {
  const position = /at position (\d+)/.exec(errorMessage(err));
  if (!position) return '';
  const before = text.slice(0, Number(position[1]));
  const line = before.split('\n').length;
  return ` line ${line} column ${before.length - before.lastIndexOf('\n')}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The start-up log line of a feed: `RATCHET_INTEL_BLOCKLISTS: ipsum.txt (ipsum, /feeds/ipsum.txt): 4 indicators for intel.blocklisted-address; skipped 1 zero-count`. */
export function describeLoadedFeed(feed: LoadedFeed): string {
  const skipped = Object.entries(feed.skipped).map(([reason, n]) => `${n} ${reason}`);
  return `${feed.variable}: ${feed.name} (${feed.format}, ${feed.path}): ${feed.indicators} indicators for ${feed.detector}${skipped.length > 0 ? `; skipped ${skipped.join(', ')}` : ''}`;
}
