import { Module, type DynamicModule } from '@nestjs/common';
import { compileAllowlist, compileChains, DEFAULT_CHAINS, type ChainSpec } from '@ratchet/chains';
import { compileTrustedProxies } from '@ratchet/kernel';
import { AuthzController, TRUSTED_PROXIES } from './authz.controller';
import { ExtAuthzGrpcServer } from './ext-authz/ext-authz-grpc.server';
import { compileFailModes, type FailMode } from './fast-path/fail-mode';
import { FAST_PATH_SETTINGS, type FastPathSettings } from './fast-path/fast-path-settings';
import { FastPathService } from './fast-path/fast-path.service';
import { DecisionMirrorService } from './decision-mirror.service';
import { DecisionsController } from './decisions.controller';
import { ENFORCER_SETTINGS, EnforcementService, type EnforcerSettings } from './enforcement.service';
import { RiskScoresConsumer } from './risk-scores.consumer';

export interface EnforcerModuleOptions {
  /** Default: DEFAULT_CHAINS. */
  chains?: readonly ChainSpec[];
  /** Addresses, CIDRs and entities never acted against. Default: none. */
  allowlist?: readonly string[];
  /** Proxies whose X-Forwarded-For / X-Real-IP are believed. Default: loopback. */
  trustedProxies?: readonly string[];
  /** When Redis cannot be reached: answer from the last known decisions (`open`) or refuse (`closed`). Default: open. */
  failMode?: FailMode;
  /** Per path prefix fail modes, `/admin=closed`; the longest matching prefix wins. Default: none. */
  failModeRoutes?: readonly string[];
  /** Header with the verified JWT subject, believed from trusted proxies. Default: none. */
  subjectHeader?: string;
  /** Serve Envoy ext_authz gRPC here (port 0: any free port). Default: not served. */
  extAuthzGrpc?: { host: string; port: number };
}

/** The enforcer: chains over `risk.scores`, the decision store and its mirror, the fast path (`/authz`, Envoy `ext_authz` HTTP and gRPC). */
@Module({})
export class EnforcerModule {
  static forRoot(options: EnforcerModuleOptions = {}): DynamicModule {
    // Compiled at start-up: an invalid chain or list stops the process with a message naming it.
    const settings: EnforcerSettings = {
      chains: compileChains(options.chains ?? DEFAULT_CHAINS),
      allowlist: compileAllowlist(options.allowlist ?? []),
    };
    const fastPath: FastPathSettings = {
      failModes: compileFailModes(options.failMode ?? 'open', options.failModeRoutes ?? []),
      ...(options.subjectHeader ? { subjectHeader: options.subjectHeader.toLowerCase() } : {}),
      ...(options.extAuthzGrpc ? { grpc: options.extAuthzGrpc } : {}),
    };
    return {
      module: EnforcerModule,
      controllers: [AuthzController, DecisionsController, RiskScoresConsumer],
      providers: [
        { provide: ENFORCER_SETTINGS, useValue: settings },
        { provide: TRUSTED_PROXIES, useValue: compileTrustedProxies(options.trustedProxies ?? ['127.0.0.1/32', '::1/128']) },
        { provide: FAST_PATH_SETTINGS, useValue: fastPath },
        EnforcementService,
        DecisionMirrorService,
        FastPathService,
        ExtAuthzGrpcServer,
      ],
      exports: [EnforcementService, DecisionMirrorService, FastPathService, ExtAuthzGrpcServer],
    };
  }
}
