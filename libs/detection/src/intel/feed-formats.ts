import type { Feed, FeedEntry } from './address-intel';
import { InvalidIntelFeed } from './address-intel';
import { patternAddresses, StixPatternError } from './stix-pattern';

/**
 * Parsers from a feed's text to a Feed. Pure: no file reads, no clock (STIX expiry is judged at
 * the `now` given). They check structure; addresses are checked when the feed is compiled, which
 * names the feed and the `origin` (line or indicator id) each entry carries.
 */

/** Why an entry was left out of a feed. */
export type SkipReason =
  /** Plain list: a count column of 0 (no list names it). */
  | 'zero-count'
  /** STIX: an object other than an indicator (identity, relationship, malware …). */
  | 'not-an-indicator'
  /** STIX: `revoked: true`. */
  | 'revoked'
  /** STIX: `valid_until` at or before `now`. */
  | 'expired'
  /** STIX: `valid_from` after `now`. */
  | 'not-yet-valid'
  /** STIX: an older version of an indicator the bundle also holds in a newer `modified`. */
  | 'superseded'
  /** STIX: `pattern_type` other than `stix` (snort, yara, sigma …). */
  | 'non-stix-pattern'
  /** STIX: a pattern with no address in it (file hashes, domains, URLs …). */
  | 'non-ip-pattern'
  /** STIX: addresses only together with other conditions (AND, FOLLOWEDBY, WITHIN, NOT …): an address alone does not satisfy it. */
  | 'ip-pattern-with-conditions';

export interface ParsedFeed {
  feed: Feed;
  /** How many entries were left out, per reason; reasons with none are absent. */
  skipped: Partial<Record<SkipReason, number>>;
}

export interface PlainListOptions {
  /** The feed's name, unique among the feeds compiled together. */
  name: string;
  /** Labels of every entry, e.g. `['tor']` for a Tor exit list. Default none. */
  labels?: readonly string[];
  /** Confidence of an entry without a count column. Default 1: being on the list is the claim. */
  confidence?: number;
  /**
   * The count at which an entry reaches full confidence: confidence = min(1, count / this).
   * Default 8: ipsum's count is how many public blocklists name the address; 89% of its entries
   * are on 1 or 2 lists (0.125, 0.25: noisy), 3 is ipsum's own suggested floor for blocking
   * (0.375), and 8 or more lists (0.02%) leave little doubt.
   */
  fullConfidenceCount?: number;
}

/**
 * One address or CIDR per line, as ipsum, Tor exit lists, FireHOL and Spamhaus DROP publish
 * them. `#` and `;` start a comment; blank lines and CRLF endings are fine. A second column that
 * is a whole number is a count (ipsum's `IP<TAB>lists`) and sets the confidence (see
 * `fullConfidenceCount`); other trailing columns are free text and ignored.
 */
export function parsePlainList(text: string, options: PlainListOptions): ParsedFeed {
  const { name, labels = [], confidence = 1, fullConfidenceCount = 8 } = options;
  if (!(fullConfidenceCount > 0)) throw new InvalidIntelFeed(name, '(options)', 'fullConfidenceCount must be above 0');
  const entries: FeedEntry[] = [];
  const skipped: ParsedFeed['skipped'] = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = stripComment(lines[i] as string).trim();
    if (line === '') continue;
    const [indicator = '', count] = line.split(/\s+/, 2);
    if (count !== undefined && /^\d+$/.test(count)) {
      const lists = Number(count);
      if (lists === 0) {
        countSkip(skipped, 'zero-count');
        continue;
      }
      entries.push({ indicator, confidence: Math.min(1, lists / fullConfidenceCount), origin: `line ${i + 1}` });
    } else {
      entries.push({ indicator, confidence, origin: `line ${i + 1}` });
    }
  }
  return { feed: { name, labels, entries }, skipped };
}

function stripComment(line: string): string {
  const hash = line.indexOf('#');
  const semicolon = line.indexOf(';');
  const cut = hash < 0 ? semicolon : semicolon < 0 ? hash : Math.min(hash, semicolon);
  return cut < 0 ? line : line.slice(0, cut);
}

export interface StixBundleOptions {
  /** The feed's name, unique among the feeds compiled together. */
  name: string;
  /** Labels of every entry, added before each indicator's own. Default none. */
  labels?: readonly string[];
  /** Epoch ms at which `valid_from` and `valid_until` are judged. Required: parsers read no clock. */
  now: number;
  /** Confidence of an indicator without `confidence`. Default 1. */
  confidence?: number;
}

/**
 * The address indicators of a STIX 2.1 bundle. An indicator counts when it is the newest version
 * of its id in the bundle, not revoked, valid at `now`, and its `stix` pattern is satisfied by an
 * address alone: `[ipv4-addr:value = '198.51.100.1']`, `ISSUBSET '198.51.100.0/24'`, `IN (…)`,
 * and any of those joined by OR, inside or across brackets. One entry per address, with the
 * indicator's id as origin, its `confidence` (0–100) scaled to 0–1, and its `labels` and
 * `indicator_types` as labels. A malformed pattern or field is refused naming the indicator id.
 */
export function parseStixBundle(text: string, options: StixBundleOptions): ParsedFeed {
  const { name, labels = [], now, confidence: defaultConfidence = 1 } = options;
  const refuse = (origin: string, problem: string): never => {
    throw new InvalidIntelFeed(name, origin, problem);
  };
  let bundle: unknown;
  try {
    bundle = JSON.parse(text);
  } catch (err) {
    return refuse('(bundle)', `is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!isObject(bundle) || bundle['type'] !== 'bundle') return refuse('(bundle)', 'is not a STIX bundle: "type" must be "bundle"');
  const objects = bundle['objects'] ?? [];
  if (!Array.isArray(objects)) return refuse('(bundle)', '"objects" must be an array');

  const skipped: ParsedFeed['skipped'] = {};
  const indicators: Array<{ object: Record<string, unknown>; id: string; modified: number }> = [];
  objects.forEach((object: unknown, i) => {
    if (!isObject(object)) return refuse(`objects[${i}]`, 'is not an object');
    if (object['type'] !== 'indicator') return countSkip(skipped, 'not-an-indicator');
    const id = object['id'];
    if (typeof id !== 'string' || id === '') return refuse(`objects[${i}]`, 'is an indicator without an id');
    indicators.push({ object, id, modified: readTime(object, 'modified', id, refuse) ?? Number.NEGATIVE_INFINITY });
  });

  const newest = new Map<string, number>();
  for (const { id, modified } of indicators) newest.set(id, Math.max(newest.get(id) ?? Number.NEGATIVE_INFINITY, modified));
  const taken = new Set<string>();
  const entries: FeedEntry[] = [];
  for (const { object, id, modified } of indicators) {
    if (modified < (newest.get(id) as number) || taken.has(id)) {
      countSkip(skipped, 'superseded');
      continue;
    }
    taken.add(id);
    const reason = readIndicator(object, id, now, defaultConfidence, entries, refuse);
    if (reason) countSkip(skipped, reason);
  }
  return { feed: { name, labels, entries }, skipped };
}

/** Adds the indicator's entries, or answers why it has none. */
function readIndicator(
  object: Record<string, unknown>,
  id: string,
  now: number,
  defaultConfidence: number,
  entries: FeedEntry[],
  refuse: (origin: string, problem: string) => never,
): SkipReason | undefined {
  const revoked = object['revoked'] ?? false;
  if (typeof revoked !== 'boolean') refuse(id, '"revoked" must be true or false');
  const validFrom = readTime(object, 'valid_from', id, refuse);
  const validUntil = readTime(object, 'valid_until', id, refuse);
  const patternType = object['pattern_type'] ?? 'stix';
  const pattern = object['pattern'];
  if (typeof pattern !== 'string') return refuse(id, '"pattern" must be a string');
  const rawConfidence = object['confidence'];
  if (rawConfidence !== undefined && !(Number.isInteger(rawConfidence) && (rawConfidence as number) >= 0 && (rawConfidence as number) <= 100)) {
    refuse(id, `"confidence" must be a whole number from 0 to 100, not ${JSON.stringify(rawConfidence)}`);
  }
  const ownLabels = [...readStrings(object, 'labels', id, refuse), ...readStrings(object, 'indicator_types', id, refuse)];

  if (revoked) return 'revoked';
  if (validUntil !== undefined && validUntil <= now) return 'expired';
  if (validFrom !== undefined && validFrom > now) return 'not-yet-valid';
  if (patternType !== 'stix') return 'non-stix-pattern';

  let found;
  try {
    found = patternAddresses(pattern);
  } catch (err) {
    if (!(err instanceof StixPatternError)) throw err;
    return refuse(id, `pattern ${JSON.stringify(pattern)} is malformed: ${err.message}`);
  }
  if (found.kind === 'none') return 'non-ip-pattern';
  if (found.kind === 'conditional') return 'ip-pattern-with-conditions';
  const confidence = rawConfidence === undefined ? defaultConfidence : (rawConfidence as number) / 100;
  const labels = [...new Set(ownLabels)];
  for (const indicator of found.values) entries.push({ indicator, confidence, ...(labels.length > 0 ? { labels } : {}), origin: id });
  return undefined;
}

function readTime(object: Record<string, unknown>, field: string, id: string, refuse: (origin: string, problem: string) => never): number | undefined {
  const value = object[field];
  if (value === undefined) return undefined;
  const time = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  return Number.isNaN(time) ? refuse(id, `"${field}" must be a timestamp such as 2026-11-24T10:00:00Z, not ${JSON.stringify(value)}`) : time;
}

function readStrings(object: Record<string, unknown>, field: string, id: string, refuse: (origin: string, problem: string) => never): string[] {
  const value = object[field] ?? [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) return refuse(id, `"${field}" must be a list of strings`);
  return value;
}

function countSkip(skipped: ParsedFeed['skipped'], reason: SkipReason): void {
  skipped[reason] = (skipped[reason] ?? 0) + 1;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
