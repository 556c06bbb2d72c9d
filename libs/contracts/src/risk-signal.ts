import type { EntityRef } from '@ratchet/kernel';

/** One indicator of compromise that fired. `id` is deterministic, so a redelivered event yields the same signal. */
export interface RiskSignal {
  v: 1;
  id: string;
  /** Signal type operators match on in chains: `brute_force`, `password_spray`. */
  type: string;
  /** Stable id of the detector that fired: `auth.brute-force`. */
  detector: string;
  entity: EntityRef;
  /** 0–1: how bad this is if true. */
  severity: number;
  /** 0–1: how sure the detector is. */
  confidence: number;
  /** Event time of the event that made it fire, epoch ms. */
  at: number;
  /** The numbers behind it: counts, thresholds, windows. */
  evidence: Readonly<Record<string, number | string>>;
  /** The events behind it (the one that crossed the threshold; detectors may add more). */
  eventIds: readonly string[];
}
