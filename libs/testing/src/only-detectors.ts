import { DETECTORS, type DetectorSettings } from '@ratchet/detection';

/**
 * Detector settings with only `ids` enabled (at their defaults): for specs about something other
 * than the catalogue — the API, tracing — where the whole catalogue would add signals the spec is
 * not about (20 failures from one address are also a slow brute force and an attack on the account).
 */
export function onlyDetectors(...ids: string[]): DetectorSettings {
  const unknown = ids.filter((id) => !DETECTORS.some((d) => d.id === id));
  if (unknown.length > 0) throw new Error(`not detectors: ${unknown.join(', ')}`);
  return Object.fromEntries(DETECTORS.map((d) => [d.id, ids.includes(d.id) ? {} : false]));
}
