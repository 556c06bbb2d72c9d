import type { RiskContribution, RiskLevel, RiskScore, RiskSignal } from '@ratchet/contracts';
import type { EntityRef } from '@ratchet/kernel';
import type { RecordMergeOp } from '@ratchet/detection';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** How much one signal type adds to an entity's risk, and how fast that fades. */
export interface SignalWeight {
  /** Contribution at full severity and confidence, 0–100. */
  weight: number;
  halfLifeMs: number;
}

export interface RiskModel {
  weights: Readonly<Record<string, SignalWeight>>;
  /** For signal types without an entry. */
  fallback: SignalWeight;
  /** Lower bounds of each level above `none`. */
  levels: Readonly<Record<Exclude<RiskLevel, 'none'>, number>>;
  /** How long an entity's record outlives its last signal. */
  retainMs: number;
  /**
   * Risk propagation: the share (0–1) of an address's current score a user inherits when a signal
   * on the user comes from an event at that address. Absent: no propagation.
   */
  propagation?: { fromAddress: number };
}

/**
 * Weights are what one firing at full severity and confidence adds (0–100); half-lives say how long
 * the indicator stays telling. Attacks in progress fade fast (the attack stops or is blocked);
 * evidence about an account (a stolen session, a takeover pattern) stays longer, so a step-up or
 * review can still catch the follow-up.
 */
export const DEFAULT_RISK_MODEL: RiskModel = {
  weights: {
    brute_force: { weight: 90, halfLifeMs: 30 * MINUTE },
    password_spray: { weight: 90, halfLifeMs: 30 * MINUTE },
    // The user is the target, not the attacker: enough for a step-up, never alone for a lockout (which would serve the attacker).
    brute_force_principal: { weight: 50, halfLifeMs: 30 * MINUTE },
    // Measured over an hour; a half-life of one window keeps it until the next hour's evidence.
    slow_brute_force: { weight: 70, halfLifeMs: HOUR },
    // On the login service: raises the bar for everyone there while the replay lasts (ten-minute window).
    credential_stuffing: { weight: 80, halfLifeMs: 30 * MINUTE },
    // A takeover indicator: keeps the account under suspicion for the working day.
    impossible_travel: { weight: 70, halfLifeMs: 6 * HOUR },
    // Weak alone (people travel, change carriers, buy laptops), meaningful together and with login_risk.
    new_country: { weight: 40, halfLifeMs: 12 * HOUR },
    new_asn: { weight: 25, halfLifeMs: 6 * HOUR },
    new_device: { weight: 30, halfLifeMs: 12 * HOUR },
    // An approval after push bombing is a likely takeover (severity 0.9 → 76.5 at full confidence: critical).
    mfa_fatigue: { weight: 85, halfLifeMs: 2 * HOUR },
    // A replayed session is a takeover in progress; sessions live hours, so does the suspicion.
    token_reuse: { weight: 95, halfLifeMs: 4 * HOUR },
    vendor_risk_high: { weight: 70, halfLifeMs: 4 * HOUR },
    anonymizer_login: { weight: 40, halfLifeMs: HOUR },
    // The per-login statistical score: one login's surprise, fading within the day.
    login_risk: { weight: 60, halfLifeMs: 6 * HOUR },
    // Ingress. Scans are cheap and constant on the internet: alone they stay below `high`, and fade
    // within the hour a scanner's campaign lasts; secrets asked for weigh more.
    http_probing: { weight: 50, halfLifeMs: 30 * MINUTE },
    // The same scan at the SSH port: connections that never reach a login.
    ssh_probing: { weight: 50, halfLifeMs: 30 * MINUTE },
    sensitive_path: { weight: 70, halfLifeMs: HOUR },
    http_crawl: { weight: 30, halfLifeMs: 15 * MINUTE },
    rate_limited: { weight: 40, halfLifeMs: 15 * MINUTE },
    // Mesh. Lateral movement is slow, so what it leaves fades over hours, not minutes.
    mesh_new_peer: { weight: 40, halfLifeMs: 2 * HOUR },
    mesh_unknown_identity: { weight: 80, halfLifeMs: 2 * HOUR },
    mesh_mtls_failure: { weight: 40, halfLifeMs: 30 * MINUTE },
    // Control plane. A stolen token or a cluster-admin grant is a compromise in itself (critical
    // alone) and is remembered for a working day; noisier indicators weigh less and fade sooner.
    k8s_anonymous_access: { weight: 60, halfLifeMs: HOUR },
    k8s_rbac_denials: { weight: 60, halfLifeMs: HOUR },
    k8s_exec: { weight: 50, halfLifeMs: 2 * HOUR },
    k8s_secret_read: { weight: 60, halfLifeMs: 2 * HOUR },
    k8s_privileged_workload: { weight: 80, halfLifeMs: 6 * HOUR },
    k8s_cluster_admin_grant: { weight: 95, halfLifeMs: 8 * HOUR },
    k8s_rbac_binding_change: { weight: 30, halfLifeMs: 2 * HOUR },
    k8s_token_outside_cluster: { weight: 95, halfLifeMs: 8 * HOUR },
  },
  fallback: { weight: 40, halfLifeMs: 30 * MINUTE },
  levels: { low: 1, medium: 25, high: 50, critical: 75 },
  retainMs: 24 * HOUR,
  // Half of the address's risk: logging in from a brute-forcing address is suspicious, not proof.
  propagation: { fromAddress: 0.5 },
};

/**
 * An entity's risk is the decayed sum of its signals' contributions, capped to 100. Each signal type
 * contributes once — its latest firing — so a burst of the same indicator refreshes rather than
 * stacks, and a redelivered signal changes nothing.
 */
export function planRiskUpdate(signal: RiskSignal, model: RiskModel): RecordMergeOp {
  const { weight } = weightOf(signal.type, model);
  const contribution = Math.round(weight * signal.severity * signal.confidence * 100) / 100;
  const stored: StoredContribution = { w: contribution, at: signal.at, id: signal.id, d: signal.detector };
  return { kind: 'record.merge', ...riskRecord(signal.entity), fields: { [signal.type]: JSON.stringify(stored) }, retainMs: model.retainMs };
}

/** Scores the entity from its record at time `at` (event time of the triggering signal). */
export function scoreEntity(
  entity: EntityRef,
  record: Readonly<Record<string, string>>,
  trigger: RiskSignal,
  model: RiskModel,
): RiskScore {
  return { v: 1, ...assessRisk(entity, record, trigger.at, model), trigger };
}

/** An entity's risk at a moment, with the contributions behind it, strongest first. */
export type EntityRisk = Omit<RiskScore, 'v' | 'trigger'>;

/**
 * The entity's risk from its record, decayed to `at`: the scorer passes the triggering signal's
 * event time, the entities API the present.
 */
export function assessRisk(entity: EntityRef, record: Readonly<Record<string, string>>, at: number, model: RiskModel): EntityRisk {
  const contributions: RiskContribution[] = [];
  let total = 0;
  for (const [type, raw] of Object.entries(record)) {
    const stored = parseStored(raw);
    if (!stored) continue;
    const current = decay(stored.w, Math.max(0, at - stored.at), weightOf(type, model).halfLifeMs);
    total += current;
    contributions.push({ type, detector: stored.d, signalId: stored.id, weight: stored.w, current: round2(current), at: stored.at });
  }
  contributions.sort((a, b) => b.current - a.current);
  const score = Math.min(100, round2(total));
  return { entity, score, level: levelOf(score, model), at, contributions };
}

/** Where an entity's risk record lives in the StateStore: `risk:<entity>`. */
export function riskRecord(entity: EntityRef): { key: 'risk'; of: EntityRef } {
  return { key: 'risk', of: entity };
}

export function levelOf(score: number, model: RiskModel): RiskLevel {
  const { low, medium, high, critical } = model.levels;
  if (score >= critical) return 'critical';
  if (score >= high) return 'high';
  if (score >= medium) return 'medium';
  if (score >= low) return 'low';
  return 'none';
}

export function decay(value: number, elapsedMs: number, halfLifeMs: number): number {
  return value * Math.pow(2, -elapsedMs / halfLifeMs);
}

interface StoredContribution {
  w: number;
  at: number;
  id: string;
  d: string;
}

function parseStored(raw: string): StoredContribution | undefined {
  try {
    const value = JSON.parse(raw) as Partial<StoredContribution>;
    if (typeof value.w !== 'number' || typeof value.at !== 'number') return undefined;
    return { w: value.w, at: value.at, id: String(value.id ?? ''), d: String(value.d ?? '') };
  } catch {
    return undefined;
  }
}

function weightOf(type: string, model: RiskModel): SignalWeight {
  return model.weights[type] ?? model.fallback;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
