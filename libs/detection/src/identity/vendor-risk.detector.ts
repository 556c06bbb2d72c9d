import type { RiskSignal } from '@ratchet/contracts';
import { canonicalAddress, entityRef } from '@ratchet/kernel';
import { ratedSignal, userIdOf, type Detector } from '../detector';
import { compileSettings } from '../detector-config';
import { NO_OPS, NO_SIGNALS } from '../event-reading';

/**
 * The IdP's own risk engine rated the sign-in high (fact `vendor-risk-high`: Okta ThreatInsight /
 * risk HIGH, Entra `riskLevelDuringSignIn: high`, Auth0 risk assessments). Ratchet cannot see
 * what the vendor saw, so it takes the verdict as a signal on the user (else on the address) with
 * confidence 0.8 and lets chains combine it. The IdP's `anonymizer` fact is read by
 * `intel.anonymizer`, so one signal type covers feeds and IdPs alike. No settings.
 */
export const vendorRiskDetector: Detector<Record<string, never>> = {
  id: 'auth.vendor-risk',
  signalType: 'vendor_risk_high',
  summary: 'A sign-in the IdP rated high risk (fact vendor-risk-high), on the user, else the address',
  stateless: true,
  defaults: {},
  compile(raw) {
    return compileSettings(this.id, raw, this.defaults, {});
  },
  plan() {
    return NO_OPS;
  },
  detect(event): RiskSignal[] {
    if (!event.facts?.includes('vendor-risk-high')) return NO_SIGNALS;
    const user = userIdOf(event);
    const ip = event.client?.ip;
    const entity = user ? entityRef('user', user) : ip ? entityRef('ip', canonicalAddress(ip) ?? ip) : undefined;
    if (!entity) return NO_SIGNALS;
    return [ratedSignal(this, event, entity, { severity: 0.7, confidence: 0.8, evidence: { source: event.source.kind, outcome: event.outcome } })];
  },
};
