import { Module, type DynamicModule } from '@nestjs/common';
import { compileAllowlist, compileChains, DEFAULT_ACTION_CAPS, DEFAULT_CHAINS_FILE, type ActionCaps } from '@ratchet/chains';
import { compileTrustedProxies } from '@ratchet/kernel';
import { DEFAULT_RISK_MODEL, type RiskModel } from '@ratchet/risk';
import { AuthzController, TRUSTED_PROXIES } from './authz.controller';
import { ChainSetService, loadChainFiles } from './chain-set.service';
import { ChainsController } from './chains.controller';
import { DecisionMirrorService } from './decision-mirror.service';
import { DecisionsController } from './decisions.controller';
import { ENFORCER_SETTINGS, EnforcementService, type EnforcerSettings } from './enforcement.service';
import { POLICY_RECONCILER, PolicyReconcilerService, type PolicyReconcilerSettings } from './policy-reconciler.service';
import { RiskScoresConsumer } from './risk-scores.consumer';

export interface EnforcerModuleOptions {
  /**
   * RATCHET_CHAINS: a YAML/JSON chain file or a directory of them, validated now and re-read
   * when it changes. Default: the shipped default chains (DEFAULT_CHAINS_FILE), not watched.
   */
  chainsPath?: string;
  /** Chain documents given inline (tests); they take precedence over `chainsPath` and are never reloaded. */
  chains?: readonly unknown[];
  /** Addresses, CIDRs and entities never acted against. Default: none. */
  allowlist?: readonly string[];
  /** Proxies whose X-Forwarded-For / X-Real-IP are believed. Default: loopback. */
  trustedProxies?: readonly string[];
  /** Caps on new actions per minute and on actions in force. Default: DEFAULT_ACTION_CAPS (60 a minute, 10,000). */
  caps?: ActionCaps;
  /** The risk model the scorer uses, for decaying scores between updates. Default: DEFAULT_RISK_MODEL. */
  riskModel?: RiskModel;
  /** How often quiet entities are checked for relaxing. Default: 30 s. */
  relaxEveryMs?: number;
  /** The policy path (Kubernetes objects for the decisions in force). Default: off. */
  policy?: PolicyReconcilerSettings;
}

/** The enforcer: chains over `risk.scores`, the decision store and its mirror, `/authz`, `/v1/chains`. */
@Module({})
export class EnforcerModule {
  static forRoot(options: EnforcerModuleOptions = {}): DynamicModule {
    // Compiled at start-up: an invalid chain or list stops the process with a message naming it.
    const chains = options.chains ? compileChains(options.chains) : loadChainFiles(options.chainsPath ?? DEFAULT_CHAINS_FILE);
    const chainSet = options.chains ? undefined : { path: options.chainsPath ?? DEFAULT_CHAINS_FILE, watch: options.chainsPath !== undefined };
    const settings: EnforcerSettings = {
      allowlist: compileAllowlist(options.allowlist ?? []),
      caps: options.caps ?? DEFAULT_ACTION_CAPS,
      riskModel: options.riskModel ?? DEFAULT_RISK_MODEL,
      relaxEveryMs: options.relaxEveryMs ?? 30_000,
    };
    return {
      module: EnforcerModule,
      controllers: [AuthzController, ChainsController, DecisionsController, RiskScoresConsumer],
      providers: [
        { provide: ENFORCER_SETTINGS, useValue: settings },
        { provide: ChainSetService, useFactory: () => new ChainSetService(chainSet, chains) },
        { provide: TRUSTED_PROXIES, useValue: compileTrustedProxies(options.trustedProxies ?? ['127.0.0.1/32', '::1/128']) },
        EnforcementService,
        DecisionMirrorService,
        ...(options.policy ? [{ provide: POLICY_RECONCILER, useValue: options.policy }, PolicyReconcilerService] : []),
      ],
      exports: [EnforcementService, DecisionMirrorService, ChainSetService],
    };
  }
}
