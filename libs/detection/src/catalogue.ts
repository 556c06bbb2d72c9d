import { bruteForceDetector } from './brute-force.detector';
import type { CompiledDetector, Detector } from './detector';
import { bindDetector } from './detector';
import { InvalidDetectorConfig } from './detector-config';
import { passwordSprayDetector } from './password-spray.detector';

/** Every detector Ratchet ships. A plain array: no registration by import side effect. */
export const DETECTORS: readonly Detector<never>[] = [bruteForceDetector, passwordSprayDetector] as readonly Detector<never>[];

/** Per-detector settings as operators write them: `{ 'auth.brute-force': { threshold: 30 } }`; `false` disables one. */
export type DetectorSettings = Readonly<Record<string, unknown>>;

/** Validates all settings once and binds every enabled detector; throws naming the detector and field. */
export function compileDetectors(settings: DetectorSettings = {}): CompiledDetector[] {
  const known = new Set(DETECTORS.map((d) => d.id));
  for (const id of Object.keys(settings)) {
    if (!known.has(id)) throw new InvalidDetectorConfig(id, '(detector)', `is not a known detector (known: ${[...known].join(', ')})`);
  }
  return DETECTORS.filter((d) => settings[d.id] !== false).map((d) =>
    bindDetector(d as Detector<unknown>, (d as Detector<unknown>).compile(settings[d.id])),
  );
}
