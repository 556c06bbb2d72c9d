import type { RiskSignal } from '@ratchet/contracts';
import { thresholdSignal, type Detector } from '../detector';
import { compileSettings, stringSetSetting, THRESHOLD_WINDOW_SETTINGS, type SettingReader, type ThresholdWindow } from '../detector-config';
import { addressEntityOf, isStaticPath, NO_OPS, NO_SIGNALS, STATIC_EXTENSIONS } from '../event-reading';

export interface CrawlParams extends ThresholdWindow {
  staticExtensions: ReadonlySet<string>;
}

const READERS: Readonly<Record<string, SettingReader<CrawlParams>>> = {
  ...THRESHOLD_WINDOW_SETTINGS,
  staticExtensions: stringSetSetting('staticExtensions', { lowerCase: true }),
};

/** Aggressive crawling costs capacity and maps the application; by itself it is not an intrusion. */
const SEVERITY = 0.4;

/**
 * An address reading many distinct pages (`GET`/`HEAD`, not static assets, any status) faster than
 * a person browses. Specified by CrowdSec's `http-crawl-non_statics` (capacity 40, leak 0.5s): 41
 * distinct paths in 20s. Counted per address across hosts.
 */
export const httpCrawlDetector: Detector<CrawlParams> = {
  id: 'http.crawl',
  signalType: 'http_crawl',
  reads: { planes: ['north-south'], actions: ['request'] },
  summary: 'An address read `threshold` distinct non-static paths with GET/HEAD within `window` (defaults: 41 in 20s)',
  defaults: { threshold: 41, windowMs: 20_000, staticExtensions: new Set(STATIC_EXTENSIONS) },
  compile(raw) {
    return compileSettings(this.id, raw, this.defaults, READERS);
  },
  plan(event, p) {
    if (event.plane !== 'north-south' || event.action !== 'request') return NO_OPS;
    const ip = event.client?.ip;
    const target = event.target;
    if (ip === undefined || target?.path === undefined || (target.method !== 'GET' && target.method !== 'HEAD')) return NO_OPS;
    if (isStaticPath(target.path, p.staticExtensions)) return NO_OPS;
    return [{ kind: 'window.distinct', key: 'http-crawl:ip', of: ip, member: `${target.host ?? ''}${target.path}`, at: event.ts, windowMs: p.windowMs }];
  },
  detect(event, [paths], p): RiskSignal[] {
    if (typeof paths !== 'number' || paths < p.threshold) return NO_SIGNALS;
    const entity = addressEntityOf(event);
    if (entity === undefined) return NO_SIGNALS;
    return [thresholdSignal(this, event, entity, { count: paths, countName: 'distinctPaths', threshold: p.threshold, windowMs: p.windowMs }, SEVERITY)];
  },
};
