import { readCollectorOptions, type CollectorOptions } from '@ratchet/collector';
import { readFastPathOptions, readWebhookSettings, type FastPathOptions, type WebhookSettings } from '@ratchet/enforcer';
import type { ActionCaps } from '@ratchet/chains';
import {
  envReader,
  readActionCaps,
  readEnforcerTrustedProxies,
  readChainsPath,
  readDetectorConfig,
  readLogLevels,
  readPlatformConfig,
  readPolicyConfig,
  readSourceCatalogue,
  type DetectorConfig,
  type PlatformConfig,
  type PolicyConfig,
} from '@ratchet/platform';
import type { SourceCatalogue } from '@ratchet/sources';

/** The embedded shape's settings; every default is beside its variable. */
export interface EmbeddedConfig {
  host: string;
  port: number;
  bodyLimit: number;
  /** ENFORCER_TRUSTED_PROXIES, else RATCHET_TRUSTED_PROXIES, else loopback: whose X-Forwarded-For /authz believes. */
  trustedProxies: string[];
  allowlist: string[];
  /** RATCHET_CHAINS: a chain file or directory (YAML/JSON), watched for changes; default the shipped default chains. */
  chainsPath?: string;
  /** ENFORCER_MAX_NEW_ACTIONS_PER_MINUTE (default 1000), ENFORCER_MAX_ACTIVE_ACTIONS (default 10000). */
  caps?: ActionCaps;
  /** RATCHET_FAIL_MODE(_ROUTES), RATCHET_SUBJECT_HEADER, RATCHET_EXT_AUTHZ_GRPC_PORT (default: not served) / _HOST, RATCHET_FAST_PATH_TOKEN: see readFastPathOptions. */
  fastPath?: FastPathOptions;
  /** Enrichment (RATCHET_GEOIP_*) and the trusted proxies of logged X-Forwarded-For; no raw topics (nothing outside the process can publish to the memory log). */
  collector?: Partial<CollectorOptions>;
  logFormat: 'json' | 'text';
  /** LOG_LEVEL: error | warn | log (default) | debug. */
  logLevels: PlatformConfig['logLevels'];
  telemetry: PlatformConfig['telemetry'];
  /**
   * RATCHET_DETECTORS (settings file), RATCHET_INTEL_BLOCKLISTS, RATCHET_INTEL_ANONYMIZERS (feed
   * files). Default: every detector with its defaults, no feeds.
   */
  detectors?: DetectorConfig;
  /** The built-in sources and those defined in the JSON file RATCHET_SOURCES names. Default: the built-in ones. */
  sources?: SourceCatalogue;
  /** RATCHET_WEBHOOKS: a YAML/JSON file of `notify` / `session.revoke` receivers. Default: none. */
  webhooks?: WebhookSettings;
}

/** `now` judges STIX indicators' validity; the wall clock unless a test fixes it. */
export function readEmbeddedConfig(env: NodeJS.ProcessEnv = process.env, now = Date.now()): EmbeddedConfig {
  const read = envReader(env);
  const webhooks = readWebhookSettings(env);
  return {
    host: read.string('RATCHET_HOST', '127.0.0.1'),
    port: read.int('RATCHET_PORT', 8080, { min: 0, max: 65_535 }),
    bodyLimit: read.int('COLLECTOR_BODY_LIMIT', 1_048_576, { min: 1_024 }),
    trustedProxies: readEnforcerTrustedProxies(read),
    allowlist: read.list('ENFORCER_ALLOWLIST', []),
    ...readChainsPath(read),
    caps: readActionCaps(read),
    fastPath: readFastPathOptions(env, undefined),
    collector: { ...readCollectorOptions(env), rawTopics: [] },
    logFormat: read.oneOf('LOG_FORMAT', ['json', 'text'] as const, 'text'),
    logLevels: readLogLevels(env),
    telemetry: readPlatformConfig(env, 'ratchet').telemetry,
    detectors: readDetectorConfig(env, now),
    sources: readSourceCatalogue(env),
    ...(webhooks ? { webhooks } : {}),
  };
}

/** What `ratchet ingest` needs from the environment: the sources it may name (RATCHET_SOURCES, as the server reads it). */
export function readIngestSources(env: NodeJS.ProcessEnv = process.env): SourceCatalogue {
  return readSourceCatalogue(env);
}

/** What `ratchet policy render` needs: the policy settings (RATCHET_POLICY_*, as the enforcer reads them) and RATCHET_URL (default http://127.0.0.1:8080). */
export function readPolicyRenderConfig(env: NodeJS.ProcessEnv = process.env): { policy: PolicyConfig; url: string } {
  return { policy: readPolicyConfig(env), url: envReader(env).url('RATCHET_URL', 'http://127.0.0.1:8080', ['http:', 'https:']) };
}
