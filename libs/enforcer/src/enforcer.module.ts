import { Module, type DynamicModule } from '@nestjs/common';
import { compileAllowlist, compileChains, DEFAULT_ACTION_CAPS, DEFAULT_CHAINS_FILE, type ActionCaps } from '@ratchet/chains';
import { compileTrustedProxies } from '@ratchet/kernel';
import { DEFAULT_RISK_MODEL, type RiskModel } from '@ratchet/risk';
import { AuthzController, TRUSTED_PROXIES } from './authz.controller';
import { ChainSetService, loadChainFiles } from './chain-set.service';
import { ChainsController } from './chains.controller';
import { ExtAuthzGrpcServer } from './ext-authz/ext-authz-grpc.server';
import { compileFailModes, type FailMode } from './fast-path/fail-mode';
import { FAST_PATH_SETTINGS, type ExtAuthzGrpcSettings, type FastPathSettings } from './fast-path/fast-path-settings';
import { FastPathService } from './fast-path/fast-path.service';
import { DecisionMirrorService } from './decision-mirror.service';
import { DecisionsController } from './decisions.controller';
import { ENFORCER_SETTINGS, EnforcementService, type EnforcerSettings } from './enforcement.service';
import { POLICY_RECONCILER, PolicyReconcilerService, type PolicyReconcilerSettings } from './policy-reconciler.service';
import { RiskScoresConsumer } from './risk-scores.consumer';
import type { WebhookSettings } from './webhooks/webhook-receivers';
import { WEBHOOK_SETTINGS, WebhookSender } from './webhooks/webhook-sender.service';

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
  /** Caps on new actions per minute and on actions in force. Default: DEFAULT_ACTION_CAPS (1,000 a minute, 10,000). */
  caps?: ActionCaps;
  /** The risk model the scorer uses, for decaying scores between updates. Default: DEFAULT_RISK_MODEL. */
  riskModel?: RiskModel;
  /** How often quiet entities are checked for relaxing. Default: 30 s. */
  relaxEveryMs?: number;
  /** The policy path (Kubernetes objects for the decisions in force). Default: off. */
  policy?: PolicyReconcilerSettings;
  /** When Redis cannot be reached: answer from the last known decisions (`open`) or refuse (`closed`). Default: open. */
  failMode?: FailMode;
  /** Per path prefix fail modes, `/admin=closed`; the longest matching prefix wins. Default: none. */
  failModeRoutes?: readonly string[];
  /** Header with the verified JWT subject, believed from trusted proxies. Default: none. */
  subjectHeader?: string;
  /** A secret every fast-path caller sends in `X-Ratchet-Token` (see `FastPathSettings.callerToken`). Default: none. */
  callerToken?: string;
  /** Serve Envoy ext_authz gRPC here (port 0: any free port); limits as in `ExtAuthzGrpcSettings`. Default: not served. */
  extAuthzGrpc?: ExtAuthzGrpcSettings;
  /** Receivers of `notify` and `session.revoke` (RATCHET_WEBHOOKS, `readWebhookSettings`). Default: none, nothing calls out. */
  webhooks?: WebhookSettings;
}

/** The enforcer: chains over `risk.scores`, the decision store and its mirror, the fast path (`/authz`, Envoy `ext_authz` HTTP and gRPC), `/v1/chains`. */
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
    const fastPath: FastPathSettings = {
      failModes: compileFailModes(options.failMode ?? 'open', options.failModeRoutes ?? []),
      ...(options.subjectHeader ? { subjectHeader: options.subjectHeader.toLowerCase() } : {}),
      ...(options.extAuthzGrpc ? { grpc: options.extAuthzGrpc } : {}),
      ...(options.callerToken ? { callerToken: options.callerToken } : {}),
    };
    return {
      module: EnforcerModule,
      controllers: [AuthzController, ChainsController, DecisionsController, RiskScoresConsumer],
      providers: [
        { provide: ENFORCER_SETTINGS, useValue: settings },
        { provide: ChainSetService, useFactory: () => new ChainSetService(chainSet, chains) },
        { provide: TRUSTED_PROXIES, useValue: compileTrustedProxies(options.trustedProxies ?? ['127.0.0.1/32', '::1/128']) },
        { provide: FAST_PATH_SETTINGS, useValue: fastPath },
        EnforcementService,
        DecisionMirrorService,
        ...(options.policy ? [{ provide: POLICY_RECONCILER, useValue: options.policy }, PolicyReconcilerService] : []),
        ...(options.webhooks && options.webhooks.receivers.length > 0 ? [{ provide: WEBHOOK_SETTINGS, useValue: options.webhooks }, WebhookSender] : []),
        FastPathService,
        ExtAuthzGrpcServer,
      ],
      exports: [EnforcementService, DecisionMirrorService, ChainSetService, FastPathService, ExtAuthzGrpcServer],
    };
  }
}
