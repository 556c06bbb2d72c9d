import type { RiskSignal } from '@ratchet/contracts';
import { NO_OPS, NO_SIGNALS } from '../event-reading';
import { compileIntelParams, intelSignal, NO_INTEL, type IntelParams, type StatelessDetector } from './intel-detector';

export type BlocklistParams = IntelParams;

/** How bad an event from a blocklisted address is, if the feed is right; the match gives the confidence. */
const SEVERITY = 0.7;

/**
 * Any event from an address a threat-intel feed names (ipsum, a STIX bundle, a curated list).
 * Settings: `{ feeds: Feed[] }` as feed-formats.ts parses them. Default: no feeds, never fires.
 */
export const blocklistedAddressDetector: StatelessDetector<BlocklistParams> = {
  id: 'intel.blocklisted-address',
  signalType: 'blocklisted_address',
  summary: 'An event from an address or network named by a threat-intel feed in `feeds` (default: none)',
  stateless: true,
  defaults: NO_INTEL,
  compile(raw) {
    return compileIntelParams(this.id, raw);
  },
  plan() {
    return NO_OPS;
  },
  detect(event, _results, p): RiskSignal[] {
    const ip = event.client?.ip;
    const match = ip === undefined ? undefined : p.intel.lookup(ip);
    return match ? [intelSignal(this, event, ip as string, match, SEVERITY)] : NO_SIGNALS;
  },
};
