import type { EntityRef } from '@ratchet/kernel';
import type { RiskSignal } from './risk-signal';

export const RISK_LEVELS = ['none', 'low', 'medium', 'high', 'critical'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

/** What one signal type adds to an entity's risk right now, after decay. */
export interface RiskContribution {
  type: string;
  detector: string;
  signalId: string;
  /** Contribution when the signal fired, 0–100. */
  weight: number;
  /** Contribution now, after decay. */
  current: number;
  at: number;
  /**
   * For a share of another entity's risk (type `linked:ip`): that entity, e.g. the address a user
   * logged in from; `detector` and `signalId` then name its strongest contribution.
   */
  linked?: EntityRef;
}

export interface RiskScore {
  v: 1;
  entity: EntityRef;
  /** 0–100. */
  score: number;
  level: RiskLevel;
  /** Event time the score refers to, epoch ms. */
  at: number;
  contributions: readonly RiskContribution[];
  /** The signal that caused this update. */
  trigger: RiskSignal;
}
