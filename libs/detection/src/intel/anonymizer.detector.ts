import type { RiskSignal } from '@ratchet/contracts';
import { canonicalAddress, entityRef } from '@ratchet/kernel';
import { ratedSignal } from '../detector';
import { InvalidDetectorConfig } from '../detector-config';
import { NO_OPS, NO_SIGNALS } from '../event-reading';
import { compileIntelParams, entriesLabelled, intelSignal, NO_INTEL, type IntelParams, type StatelessDetector } from './intel-detector';

export type AnonymizerParams = IntelParams;

/**
 * Labels that mark an address as an anonymizer, on a feed or on its entries. `anonymization` is
 * STIX's indicator type for the same thing.
 */
export const ANONYMIZER_LABELS: readonly string[] = ['tor', 'anonymizer', 'anonymization', 'vpn', 'hosting'];

/**
 * A login through an anonymizer is not an attack by itself but hides who logs in. Lower than a
 * blocklisted address (0.7): plenty of people use Tor or a VPN for good reasons.
 */
const SEVERITY = 0.5;

/**
 * A login from a Tor exit, VPN or hosting address — in a loaded feed, or marked by the source
 * itself with the fact `anonymizer` (feeds or not; a feed match wins and names the feed). Settings: `{ feeds: Feed[], labels?: string[] }`;
 * only entries labelled with one of `labels` (default ANONYMIZER_LABELS), on the feed or the entry,
 * count, and a feed with none is refused as a likely mistake (load a Tor exit list with
 * `labels: ['tor']`). Default: no feeds, fires on the source's fact only.
 */
export const anonymizerDetector: StatelessDetector<AnonymizerParams> = {
  id: 'intel.anonymizer',
  signalType: 'anonymizer_login',
  reads: { actions: ['login'] },
  summary: 'A login from an address a feed labels tor, anonymizer, anonymization, vpn or hosting (`labels`), from `feeds` (default: none), or the source marked anonymizer',
  stateless: true,
  defaults: NO_INTEL,
  compile(raw) {
    const labels = readLabels(this.id, raw);
    return compileIntelParams(this.id, raw, ['labels'], (feed) => {
      const entries = entriesLabelled(feed, labels);
      if (entries.length === 0 && feed.entries.length > 0) {
        return `feed "${feed.name}" has no entry labelled ${[...labels].join(', ')} (label the feed, e.g. labels: ['tor'])`;
      }
      return entries === feed.entries ? feed : { ...feed, entries };
    });
  },
  plan() {
    return NO_OPS;
  },
  detect(event, _results, p): RiskSignal[] {
    const ip = event.client?.ip;
    if (event.action !== 'login' || ip === undefined) return NO_SIGNALS;
    const match = p.intel.lookup(ip);
    if (match) return [intelSignal(this, event, ip, match, SEVERITY)];
    if (!event.facts?.includes('anonymizer')) return NO_SIGNALS;
    // The IdP saw the proxy itself (Okta isProxy, Entra anonymizedIPAddress): as sure as a feed entry at 0.9.
    const entity = entityRef('ip', canonicalAddress(ip) ?? ip);
    return [ratedSignal(this, event, entity, { severity: SEVERITY, confidence: 0.9, evidence: { feed: `source:${event.source.kind}`, labels: 'anonymizer' } })];
  },
};

function readLabels(detectorId: string, raw: unknown): ReadonlySet<string> {
  const labels = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>)['labels'] : undefined;
  if (labels === undefined) return new Set(ANONYMIZER_LABELS);
  if (!Array.isArray(labels) || labels.length === 0 || !labels.every((l) => typeof l === 'string' && l !== '')) {
    throw new InvalidDetectorConfig(detectorId, 'labels', 'must be a non-empty list of labels such as ["tor", "vpn"]');
  }
  return new Set(labels as string[]);
}
