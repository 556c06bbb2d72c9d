import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { EVENT_LOG, TOPICS, type EventLog } from '@ratchet/contracts';
import { EnforcerModule, type EnforcerModuleOptions } from '@ratchet/enforcer';
import { createHttpApp, startEventLogConsumer, startTelemetry } from '@ratchet/platform';
import { ClientNodeKubernetesApi, KubernetesPolicyApplier } from '@ratchet/platform/kubernetes';
import { servicesPlatform } from '@ratchet/platform/services';
import { readEnforcerConfig, type EnforcerConfig } from './config';

/** The enforcer service: `risk.scores` → chains → decisions (Redis, mirrored) → `/authz`, `enforcement.actions`. */
async function main(): Promise<void> {
  const config = readEnforcerConfig();
  startTelemetry({ serviceName: 'ratchet-enforcer', ...config.platform.telemetry });

  const policy = policyPath(config);

  @Module({
    imports: [
      servicesPlatform(config.platform, 'enforcer'),
      EnforcerModule.forRoot({ trustedProxies: config.trustedProxies, allowlist: config.allowlist, caps: config.caps, policy, ...config.fastPath, ...(config.webhooks ? { webhooks: config.webhooks } : {}), ...(config.chainsPath ? { chainsPath: config.chainsPath } : {}) }),
    ],
  })
  class EnforcerAppModule {}

  const app = await createHttpApp(EnforcerAppModule, { bodyLimit: 1_024, logFormat: config.logFormat, logLevels: config.platform.logLevels });
  await startEventLogConsumer(app, app.get<EventLog>(EVENT_LOG), config.group, [TOPICS.riskScores]);
  await app.listen({ host: config.host, port: config.port });
}

/**
 * The Kubernetes applier when RATCHET_POLICY_TARGETS names targets (in the cluster through the
 * service account, else KUBECONFIG).
 */
function policyPath(config: EnforcerConfig): EnforcerModuleOptions['policy'] {
  if (config.policy.targets.length === 0) return undefined;
  const reconciler = new KubernetesPolicyApplier(ClientNodeKubernetesApi.fromEnvironment(), config.policy.targets, config.policy.settings);
  return { reconciler, intervalMs: config.policy.reconcileMs };
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
