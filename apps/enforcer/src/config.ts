import type { ActionCaps } from '@ratchet/chains';
import { readFastPathOptions, readWebhookSettings, type FastPathOptions, type WebhookSettings } from '@ratchet/enforcer';
import { envReader, readActionCaps, readChainsPath, readEnforcerTrustedProxies, readPlatformConfig, readPolicyConfig, type PlatformConfig, type PolicyConfig } from '@ratchet/platform';

export interface EnforcerConfig {
  /** ENFORCER_HOST, default 127.0.0.1. */
  host: string;
  /** ENFORCER_PORT, default 8083 (/authz, /v1/decisions). */
  port: number;
  /** ENFORCER_GROUP, default ratchet-enforcer. */
  group: string;
  /** ENFORCER_TRUSTED_PROXIES: CIDRs whose X-Forwarded-For / X-Real-IP are believed; default RATCHET_TRUSTED_PROXIES (shared with the collector), else loopback. */
  trustedProxies: string[];
  /** ENFORCER_ALLOWLIST: addresses, CIDRs, entities never acted against; default none. */
  allowlist: string[];
  /** RATCHET_CHAINS: a chain file or directory (YAML/JSON), watched for changes; default the shipped default chains. */
  chainsPath?: string;
  /** ENFORCER_MAX_NEW_ACTIONS_PER_MINUTE (default 1000) and ENFORCER_MAX_ACTIVE_ACTIONS (default 10000): caps no chain can lift. */
  caps: ActionCaps;
  /** RATCHET_FAIL_MODE(_ROUTES), RATCHET_SUBJECT_HEADER, RATCHET_EXT_AUTHZ_GRPC_PORT (default 9191) / _HOST (default 127.0.0.1), RATCHET_FAST_PATH_TOKEN: see readFastPathOptions. */
  fastPath: FastPathOptions;
  logFormat: 'json' | 'text';
  platform: PlatformConfig;
  /** RATCHET_POLICY_*: the policy path; off unless RATCHET_POLICY_TARGETS names targets. */
  policy: PolicyConfig;
  /** RATCHET_WEBHOOKS: a YAML/JSON file of `notify` / `session.revoke` receivers; default none. */
  webhooks?: WebhookSettings;
}

export function readEnforcerConfig(env: NodeJS.ProcessEnv = process.env): EnforcerConfig {
  const read = envReader(env);
  const webhooks = readWebhookSettings(env);
  return {
    host: read.string('ENFORCER_HOST', '127.0.0.1'),
    port: read.int('ENFORCER_PORT', 8083, { max: 65_535 }),
    group: read.string('ENFORCER_GROUP', 'ratchet-enforcer'),
    trustedProxies: readEnforcerTrustedProxies(read),
    allowlist: read.list('ENFORCER_ALLOWLIST', []),
    ...readChainsPath(read),
    caps: readActionCaps(read),
    fastPath: readFastPathOptions(env, 9191),
    logFormat: read.oneOf('LOG_FORMAT', ['json', 'text'] as const, 'json'),
    platform: readPlatformConfig(env, 'enforcer'),
    policy: readPolicyConfig(env),
    ...(webhooks ? { webhooks } : {}),
  };
}
