import { Module, type DynamicModule } from '@nestjs/common';
import { CollectorModule } from '@ratchet/collector';
import { EnforcerModule } from '@ratchet/enforcer';
import { PlatformModule, type MemoryPlatformOptions } from '@ratchet/platform';
import { ScorerModule } from '@ratchet/scorer';
import type { EmbeddedConfig } from './config';

/** Collector, scorer and enforcer in one process over memory adapters. */
@Module({})
export class EmbeddedModule {
  static create(config: EmbeddedConfig, platform: MemoryPlatformOptions = {}): DynamicModule {
    return {
      module: EmbeddedModule,
      imports: [
        PlatformModule.memory(platform),
        CollectorModule.forRoot({ ...config.collector, ...(config.sources ? { sources: config.sources } : {}) }),
        ScorerModule.forRoot({ detectors: config.detectors?.settings ?? {} }),
        EnforcerModule.forRoot({ trustedProxies: config.trustedProxies, allowlist: config.allowlist, ...config.fastPath, ...(config.caps ? { caps: config.caps } : {}), ...(config.webhooks ? { webhooks: config.webhooks } : {}), ...(config.chainsPath ? { chainsPath: config.chainsPath } : {}) }),
      ],
    };
  }
}
