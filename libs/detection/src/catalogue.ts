import { bruteForceDetector } from './brute-force.detector';
import type { CompiledDetector, Detector } from './detector';
import { bindDetector } from './detector';
import { InvalidDetectorConfig } from './detector-config';
import {
  bruteForcePrincipalDetector,
  credentialStuffingDetector,
  impossibleTravelDetector,
  loginRiskDetector,
  mfaFatigueDetector,
  newAsnDetector,
  newCountryDetector,
  newDeviceDetector,
  slowBruteForceDetector,
  tokenReuseDetector,
  vendorRiskDetector,
} from './identity';
import { anonymizerDetector, blocklistedAddressDetector } from './intel';
import { passwordSprayDetector } from './password-spray.detector';

/** Every detector Ratchet ships. A plain array: no registration by import side effect. */
// Settings types differ per detector; the catalogue only needs the shape shared by all.
export const DETECTORS: ReadonlyArray<Detector<unknown>> = [
  bruteForceDetector,
  passwordSprayDetector,
  blocklistedAddressDetector,
  anonymizerDetector,
  bruteForcePrincipalDetector,
  slowBruteForceDetector,
  credentialStuffingDetector,
  impossibleTravelDetector,
  newCountryDetector,
  newAsnDetector,
  newDeviceDetector,
  mfaFatigueDetector,
  tokenReuseDetector,
  vendorRiskDetector,
  loginRiskDetector,
] as ReadonlyArray<Detector<unknown>>;

/** Per-detector settings as operators write them: `{ 'auth.brute-force': { threshold: 30 } }`; `false` disables one. */
export type DetectorSettings = Readonly<Record<string, unknown>>;

/** Validates all settings once and binds every enabled detector; throws naming the detector and field. */
export function compileDetectors(settings: DetectorSettings = {}): CompiledDetector[] {
  const known = new Set(DETECTORS.map((d) => d.id));
  for (const id of Object.keys(settings)) {
    if (!known.has(id)) throw new InvalidDetectorConfig(id, '(detector)', `is not a known detector (known: ${[...known].join(', ')})`);
  }
  return DETECTORS.filter((d) => settings[d.id] !== false).map((d) => bindDetector(d, d.compile(settings[d.id])));
}
