import type { AuthEvent, RiskSignal } from '@ratchet/contracts';
import { canonicalAddress, entityRef } from '@ratchet/kernel';
import type { Detector } from '../detector';
import { eventSignal } from '../detector';
import { InvalidDetectorConfig } from '../detector-config';
import type { AddressIntel, Feed, FeedEntry, IntelMatch } from './address-intel';
import { compileAddressIntel, InvalidIntelFeed } from './address-intel';

/**
 * A detector that needs no state: `plan` answers no operations, and the batch engine runs
 * `detect` for every event all the same (with no results). `Detector.stateless` in detector.ts
 * once batch-detection honours it; until then this type carries the flag.
 */
export type StatelessDetector<P> = Detector<P> & { readonly stateless: true };

/** The settings of an intel detector once compiled. */
export interface IntelParams {
  readonly intel: AddressIntel;
  /** Names of the feeds compiled in, in the order given. */
  readonly feeds: readonly string[];
}

/** No feeds: the detector never fires. */
export const NO_INTEL: IntelParams = { intel: compileAddressIntel([]), feeds: [] };

/**
 * Reads `{ feeds: Feed[], ...extra }` (feeds as the parsers in feed-formats.ts make them; reading
 * files is the loading adapter's job) and compiles them. `keep` may narrow the entries a feed
 * contributes and refuse a feed by answering a problem. Errors name the detector and the field:
 * `intel.blocklisted-address.feeds[0]: ipsum line 12: "1.2.3.999" is not an address or CIDR`.
 */
export function compileIntelParams(
  detectorId: string,
  raw: unknown,
  extra: readonly string[] = [],
  keep: (feed: Feed) => Feed | string = (feed) => feed,
): IntelParams {
  if (raw === undefined || raw === null) return NO_INTEL;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new InvalidDetectorConfig(detectorId, '(settings)', 'must be an object');
  const settings = raw as Record<string, unknown>;
  const unknown = Object.keys(settings).filter((k) => k !== 'feeds' && !extra.includes(k));
  if (unknown.length > 0) throw new InvalidDetectorConfig(detectorId, unknown[0] as string, 'is not a setting of this detector');
  const rawFeeds = settings['feeds'] ?? [];
  if (!Array.isArray(rawFeeds)) throw new InvalidDetectorConfig(detectorId, 'feeds', 'must be a list of feeds');

  const names = new Set<string>();
  const feeds = rawFeeds.map((feed: unknown, i) => {
    const checked = readFeed(detectorId, `feeds[${i}]`, feed);
    if (names.has(checked.name)) throw new InvalidDetectorConfig(detectorId, `feeds[${i}].name`, `"${checked.name}" names an earlier feed too; feed names must be unique`);
    names.add(checked.name);
    const kept = keep(checked);
    if (typeof kept === 'string') throw new InvalidDetectorConfig(detectorId, `feeds[${i}]`, kept);
    return kept;
  });
  try {
    return { intel: compileAddressIntel(feeds), feeds: feeds.map((f) => f.name) };
  } catch (err) {
    if (!(err instanceof InvalidIntelFeed)) throw err;
    // Names are unique by now, so the name finds the feed.
    const index = feeds.findIndex((f) => f.name === err.feed);
    throw new InvalidDetectorConfig(detectorId, index < 0 ? 'feeds' : `feeds[${index}]`, err.message);
  }
}

/** Checks the shape a Feed must have; values (addresses, ranges) are checked when compiled. */
function readFeed(detectorId: string, field: string, raw: unknown): Feed {
  const refuse = (at: string, problem: string): never => {
    throw new InvalidDetectorConfig(detectorId, `${field}${at}`, problem);
  };
  if (!isRecord(raw)) return refuse('', 'must be a feed: { name, labels?, entries }');
  const { name, labels, entries } = raw;
  if (typeof name !== 'string' || name.trim() === '') refuse('.name', 'must be a non-empty string');
  if (labels !== undefined && !isStringList(labels)) refuse('.labels', 'must be a list of strings');
  if (!Array.isArray(entries)) return refuse('.entries', 'must be a list of { indicator, confidence }');
  for (let i = 0; i < entries.length; i++) {
    const entry: unknown = entries[i];
    if (!isRecord(entry)) return refuse(`.entries[${i}]`, 'must be { indicator, confidence, labels?, origin? }');
    if (typeof entry['indicator'] !== 'string') refuse(`.entries[${i}].indicator`, 'must be an address or CIDR');
    if (typeof entry['confidence'] !== 'number') refuse(`.entries[${i}].confidence`, 'must be a number from 0 to 1');
    if (entry['labels'] !== undefined && !isStringList(entry['labels'])) refuse(`.entries[${i}].labels`, 'must be a list of strings');
    if (entry['origin'] !== undefined && typeof entry['origin'] !== 'string') refuse(`.entries[${i}].origin`, 'must be a string');
  }
  return raw as unknown as Feed;
}

/** The entries whose labels (the feed's and their own) include one of `wanted`. */
export function entriesLabelled(feed: Feed, wanted: ReadonlySet<string>): readonly FeedEntry[] {
  if ((feed.labels ?? []).some((l) => wanted.has(l))) return feed.entries;
  return feed.entries.filter((e) => (e.labels ?? []).some((l) => wanted.has(l)));
}

/** The signal for an event from an address the intel names: evidence is the match. */
export function intelSignal(
  detector: Pick<Detector<unknown>, 'id' | 'signalType'>,
  event: AuthEvent,
  ip: string,
  match: IntelMatch,
  severity: number,
): RiskSignal {
  const entity = entityRef('ip', canonicalAddress(ip) ?? ip);
  const evidence = { feed: match.feed, indicator: match.indicator, confidence: match.confidence, labels: match.labels.join(',') };
  return eventSignal(detector, event, entity, severity, match.confidence, evidence);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}
