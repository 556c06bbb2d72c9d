import { Module, type DynamicModule } from '@nestjs/common';
import { compileAllowlist, compileChains, DEFAULT_CHAINS, type ChainSpec } from '@ratchet/chains';
import { compileTrustedProxies } from '@ratchet/kernel';
import { AuthzController, TRUSTED_PROXIES } from './authz.controller';
import { DecisionMirrorService } from './decision-mirror.service';
import { DecisionsController } from './decisions.controller';
import { ENFORCER_SETTINGS, EnforcementService, type EnforcerSettings } from './enforcement.service';
import { POLICY_RECONCILER, PolicyReconcilerService, type PolicyReconcilerSettings } from './policy-reconciler.service';
import { RiskScoresConsumer } from './risk-scores.consumer';

export interface EnforcerModuleOptions {
  /** Default: DEFAULT_CHAINS. */
  chains?: readonly ChainSpec[];
  /** Addresses, CIDRs and entities never acted against. Default: none. */
  allowlist?: readonly string[];
  /** Proxies whose X-Forwarded-For / X-Real-IP are believed. Default: loopback. */
  trustedProxies?: readonly string[];
  /** The policy path (Kubernetes objects for the decisions in force). Default: off. */
  policy?: PolicyReconcilerSettings;
}

/** The enforcer: chains over `risk.scores`, the decision store and its mirror, `/authz`. */
@Module({})
export class EnforcerModule {
  static forRoot(options: EnforcerModuleOptions = {}): DynamicModule {
    // Compiled at start-up: an invalid chain or list stops the process with a message naming it.
    const settings: EnforcerSettings = {
      chains: compileChains(options.chains ?? DEFAULT_CHAINS),
      allowlist: compileAllowlist(options.allowlist ?? []),
    };
    return {
      module: EnforcerModule,
      controllers: [AuthzController, DecisionsController, RiskScoresConsumer],
      providers: [
        { provide: ENFORCER_SETTINGS, useValue: settings },
        { provide: TRUSTED_PROXIES, useValue: compileTrustedProxies(options.trustedProxies ?? ['127.0.0.1/32', '::1/128']) },
        EnforcementService,
        DecisionMirrorService,
        ...(options.policy ? [{ provide: POLICY_RECONCILER, useValue: options.policy }, PolicyReconcilerService] : []),
      ],
      exports: [EnforcementService, DecisionMirrorService],
    };
  }
}
