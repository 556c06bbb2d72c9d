import type { RiskSignal } from '@ratchet/contracts';
import { entityRef } from '@ratchet/kernel';
import { ratedSignal, isSuccessfulLogin, userIdOf, type Detector } from '../detector';
import { compileSettings, durationSetting, numberSetting, type SettingReader } from '../detector-config';
import { NO_OPS, NO_SIGNALS } from '../event-reading';

export interface ImpossibleTravelParams {
  /** Fires above this speed, km/h. */
  maxSpeedKmh: number;
  /** Ignores hops shorter than this, km: geolocation of nearby cities is too coarse to judge. */
  minDistanceKm: number;
  /** Taken off every distance before the speed, km: a city-level geolocation is this far off. */
  accuracyKm: number;
  /** How long a user's last login is remembered. */
  retainMs: number;
}

const READERS: Readonly<Record<string, SettingReader<ImpossibleTravelParams>>> = {
  maxSpeedKmh: numberSetting('maxSpeedKmh', 1),
  minDistanceKm: numberSetting('minDistanceKm', 0),
  accuracyKm: numberSetting('accuracyKm', 0),
  retain: durationSetting('retainMs'),
};

const EARTH_RADIUS_KM = 6371.0088;

/**
 * Two consecutive successful logins of one user further apart than an airliner could fly in the
 * time between them. Defaults: faster than 1000 km/h (a long-haul jet cruises near 900 km/h), over
 * at least 500 km, with 100 km of geolocation slack taken off the distance first (city-level
 * GeoIP is often tens of kilometres off). CrowdSec's impossible-travel scenarios fire on any two
 * successful logins over 1000 km apart within three hours, speed aside; this one asks for the
 * speed, so a morning in Paris and an evening in New York does not fire. Needs `client.geo`
 * lat/lon from enrichment: events without them are not considered and do not replace the last
 * login. "Consecutive" is in arrival order; the speed uses the absolute time between the two.
 */
export const impossibleTravelDetector: Detector<ImpossibleTravelParams> = {
  id: 'auth.impossible-travel',
  signalType: 'impossible_travel',
  summary: 'Consecutive successful logins of a user `minDistanceKm`+ apart, faster than `maxSpeedKmh` after `accuracyKm` slack (defaults: 500 km, 1000 km/h, 100 km)',
  reads: { actions: ['login'] },
  defaults: { maxSpeedKmh: 1000, minDistanceKm: 500, accuracyKm: 100, retainMs: 30 * 86_400_000 },
  compile(raw) {
    return compileSettings(this.id, raw, this.defaults, READERS);
  },
  plan(event, p) {
    const user = userIdOf(event);
    const geo = event.client?.geo;
    if (!user || !isSuccessfulLogin(event) || geo?.lat === undefined || geo.lon === undefined) return NO_OPS;
    const fields: Record<string, string> = { lat: String(geo.lat), lon: String(geo.lon), at: String(event.ts), country: geo.country ?? '', ip: event.client?.ip ?? '', id: event.id };
    return [{ kind: 'record.merge', key: 'travel:user', of: user, fields, retainMs: p.retainMs, answer: 'before' }];
  },
  detect(event, [previous], p): RiskSignal[] {
    if (typeof previous !== 'object' || Array.isArray(previous) || !('lat' in previous)) return NO_SIGNALS;
    const before = previous;
    const geo = event.client?.geo;
    const [lat, lon, at] = [Number(before['lat']), Number(before['lon']), Number(before['at'])];
    if (!geo || geo.lat === undefined || geo.lon === undefined || !Number.isFinite(lat) || !Number.isFinite(lon) || !Number.isFinite(at)) return NO_SIGNALS;
    if (before['ip'] && before['ip'] === event.client?.ip) return NO_SIGNALS;
    const km = distanceKm(lat, lon, geo.lat, geo.lon);
    if (km < p.minDistanceKm) return NO_SIGNALS;
    // Many logs carry whole seconds: two logins in the same second are one second apart.
    const hours = Math.max(Math.abs(event.ts - at), 1_000) / 3_600_000;
    const kmh = Math.max(0, km - p.accuracyKm) / hours;
    if (kmh <= p.maxSpeedKmh) return NO_SIGNALS;
    const signal = ratedSignal(this, event, entityRef('user', userIdOf(event) as string), {
      severity: 0.7,
      confidence: 0.5 + 0.5 * Math.min(1, kmh / p.maxSpeedKmh - 1),
      evidence: {
        fromCountry: before['country'] || '?',
        toCountry: geo.country ?? '?',
        km: Math.round(km),
        hours: Math.round(hours * 100) / 100,
        kmh: Math.round(kmh),
      },
    });
    // Both logins are the evidence. This one stays first: the scorer takes the trace and the
    // linked address from the first event id (the login that fired), the earlier one follows.
    const earlier = before['id'];
    return [earlier ? { ...signal, eventIds: [event.id, earlier] } : signal];
  },
};

/** Great-circle distance (haversine), km. */
export function distanceKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(a)));
}
