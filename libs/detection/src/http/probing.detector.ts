import type { RiskSignal } from '@ratchet/contracts';
import { thresholdSignal, type Detector } from '../detector';
import { compileSettings, statusListSetting, stringSetSetting, THRESHOLD_WINDOW_SETTINGS, type SettingReader, type ThresholdWindow } from '../detector-config';
import { addressEntityOf, httpStatusOf, isStaticPath, NO_OPS, NO_SIGNALS, STATIC_EXTENSIONS } from '../event-reading';

export interface ProbingParams extends ThresholdWindow {
  /** Statuses that answer a probe: the path does not exist, is refused, or is malformed. */
  statuses: ReadonlySet<number>;
  staticExtensions: ReadonlySet<string>;
}

const READERS: Readonly<Record<string, SettingReader<ProbingParams>>> = {
  ...THRESHOLD_WINDOW_SETTINGS,
  statuses: statusListSetting('statuses'),
  staticExtensions: stringSetSetting('staticExtensions', { lowerCase: true }),
};

/** A scanner is noisy but not yet harmful: below a brute force (0.8). */
const SEVERITY = 0.6;

/**
 * An address asking for many different paths that do not exist (or are refused): a scanner
 * looking for something to attack. Specified by CrowdSec's `http-probing` (404/403/400 on
 * non-static paths, distinct paths per address and host, capacity 10, leak 10s): a leaky bucket
 * overflows on its (capacity + 1)-th event, and capacity × leak is the span it drains, so the
 * defaults are 11 distinct paths in 100s. Paths are counted per address across hosts (`host` +
 * path), so a scan spread over virtual hosts still adds up. Static assets (a page's missing
 * images) are left out. A request without a readable request line (the parsers then give no path),
 * answered 400, counts as a probe of its own: a scanner speaking TLS or another protocol's
 * handshake to a plain HTTP port.
 */
export const httpProbingDetector: Detector<ProbingParams> = {
  id: 'http.probing',
  signalType: 'http_probing',
  reads: { planes: ['north-south'] },
  summary: 'An address answered 400/403/404 (`statuses`) for `threshold` distinct non-static paths within `window` (defaults: 11 in 100s)',
  defaults: { threshold: 11, windowMs: 100_000, statuses: new Set([400, 403, 404]), staticExtensions: new Set(STATIC_EXTENSIONS) },
  compile(raw) {
    return compileSettings(this.id, raw, this.defaults, READERS);
  },
  plan(event, p) {
    if (event.plane !== 'north-south') return NO_OPS;
    const ip = event.client?.ip;
    if (ip === undefined) return NO_OPS;
    const status = httpStatusOf(event);
    if (status === undefined || !p.statuses.has(status)) return NO_OPS;
    const path = event.target?.path;
    // No request line to read a path from (TLS bytes on a plain port, another protocol's
    // handshake), answered 400: every such request is a probe of its own.
    if (path === undefined) return status === 400 ? [{ kind: 'window.distinct', key: 'http-probing:ip', of: ip, member: `(malformed request) ${event.id}`, at: event.ts, windowMs: p.windowMs }] : NO_OPS;
    if (isStaticPath(path, p.staticExtensions)) return NO_OPS;
    return [{ kind: 'window.distinct', key: 'http-probing:ip', of: ip, member: `${event.target?.host ?? ''}${path}`, at: event.ts, windowMs: p.windowMs }];
  },
  detect(event, [paths], p): RiskSignal[] {
    if (typeof paths !== 'number' || paths < p.threshold) return NO_SIGNALS;
    const entity = addressEntityOf(event);
    if (entity === undefined) return NO_SIGNALS;
    return [thresholdSignal(this, event, entity, { count: paths, countName: 'distinctPaths', threshold: p.threshold, windowMs: p.windowMs }, SEVERITY)];
  },
};
