import { bruteForceDetector } from './brute-force.detector';
import type { CompiledDetector, Detector } from './detector';
import { bindDetector } from './detector';
import { InvalidDetectorConfig } from './detector-config';
import {
  httpAuthBruteForceDetector,
  httpCrawlDetector,
  httpProbingDetector,
  httpRateLimitedDetector,
  httpSensitivePathsDetector,
} from './http';
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
import {
  k8sAnonymousAccessDetector,
  k8sClusterAdminGrantDetector,
  k8sExecDetector,
  k8sPrivilegedWorkloadDetector,
  k8sRbacBindingChangeDetector,
  k8sRbacDenialsDetector,
  k8sSecretReadDetector,
  k8sTokenOutsideClusterDetector,
} from './k8s';
import { meshMtlsFailuresDetector, meshNewPeerDetector, meshUnknownIdentityDetector } from './mesh';
import { passwordSprayDetector } from './password-spray.detector';
import { sshProbingDetector } from './ssh';

/** Every detector Ratchet ships. A plain array: no registration by import side effect. */
// Settings types differ per detector; the catalogue only needs the shape shared by all.
export const DETECTORS: ReadonlyArray<Detector<unknown>> = [
  bruteForceDetector,
  passwordSprayDetector,
  blocklistedAddressDetector,
  anonymizerDetector,
  // identity (IdP, SSH, any login)
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
  // SSH connections that never reach a login
  sshProbingDetector,
  // ingress (north-south)
  httpProbingDetector,
  httpSensitivePathsDetector,
  httpAuthBruteForceDetector,
  httpCrawlDetector,
  httpRateLimitedDetector,
  // mesh (east-west)
  meshNewPeerDetector,
  meshUnknownIdentityDetector,
  meshMtlsFailuresDetector,
  // control plane (Kubernetes audit)
  k8sAnonymousAccessDetector,
  k8sRbacDenialsDetector,
  k8sExecDetector,
  k8sSecretReadDetector,
  k8sPrivilegedWorkloadDetector,
  k8sClusterAdminGrantDetector,
  k8sRbacBindingChangeDetector,
  k8sTokenOutsideClusterDetector,
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
