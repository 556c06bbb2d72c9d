import { readFileSync } from 'node:fs';
import { AppError, errorCode, errorMessage, parseDuration } from '@ratchet/kernel';
import { parse as parseYaml } from 'yaml';
import type { EnforcementAction } from '@ratchet/contracts';
import { isWebhookAction, WEBHOOK_ACTIONS, type WebhookAction } from './webhook-messages';

export const WEBHOOK_FORMATS = ['json', 'caep'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

/** One receiver, validated. */
export interface WebhookReceiver {
  name: string;
  url: string;
  /** HMAC key of the signature (json) or the SET (caep). Never logged. */
  secret: string;
  /** `json`: the action as JSON, signed in `X-Ratchet-Signature`. `caep`: a CAEP session-revoked SET (session.revoke only). */
  format: WebhookFormat;
  actions: readonly WebhookAction[];
  /** `notify` channels it takes (the action's `channel` param, `default` when absent). Default: every channel. */
  channels?: readonly string[];
  /** Per attempt. Default 5 s. */
  timeoutMs: number;
  /** Attempts after the first on a timeout, a network error, 408, 429 or 5xx. Default 3. */
  retries: number;
  /** caep: the SET's `aud`. Default: the URL. */
  audience: string;
}

export interface WebhookSettings {
  /** The SETs' `iss`. Default `urn:ratchet:enforcer`. */
  issuer: string;
  receivers: readonly WebhookReceiver[];
  /** First retry's wait, doubled each retry up to 30 s. Default 1 s. */
  backoffMs: number;
}

export class InvalidWebhookConfig extends AppError {
  constructor(message: string) {
    super('ENFORCER.INVALID_WEBHOOKS', message);
  }
}

const RECEIVER_FIELDS = ['name', 'url', 'secret', 'secretEnv', 'format', 'actions', 'channels', 'timeout', 'retries', 'audience'];

/**
 * Validates a webhook file's content once, at start-up: `{issuer?, backoff?, receivers: [...]}`
 * or the receivers' list alone. A problem throws naming the receiver and the field
 * (`receivers[1] (pager).secretEnv: PAGER_SECRET is not set`). `env` resolves `secretEnv`.
 */
export function compileWebhookSettings(raw: unknown, env: Readonly<Record<string, string | undefined>>): WebhookSettings {
  const doc: Record<string, unknown> = Array.isArray(raw) ? { receivers: raw } : isObject(raw) ? raw : {};
  if (!Array.isArray(raw) && !isObject(raw)) throw new InvalidWebhookConfig('must be a list of receivers or an object with `receivers`');
  for (const key of Object.keys(doc)) if (!['issuer', 'backoff', 'receivers'].includes(key)) throw new InvalidWebhookConfig(`${key}: unknown field (known: issuer, backoff, receivers)`);
  const issuer = doc['issuer'] ?? 'urn:ratchet:enforcer';
  if (typeof issuer !== 'string' || issuer === '') throw new InvalidWebhookConfig('issuer: must be a non-empty string (a URI naming this Ratchet)');
  const backoffMs = duration(doc['backoff'] ?? '1s', 'backoff');
  const list = doc['receivers'];
  if (!Array.isArray(list)) throw new InvalidWebhookConfig('receivers: must be a list');
  const receivers = list.map((item, i) => compileReceiver(item, `receivers[${i}]`, env));
  const names = new Set<string>();
  receivers.forEach((r, i) => {
    if (names.has(r.name)) throw new InvalidWebhookConfig(`receivers[${i}] (${r.name}).name: is used by another receiver`);
    names.add(r.name);
  });
  return { issuer, backoffMs, receivers };
}

/**
 * Whether the receiver gets this action: an enforced (not shadow) `notify` or `session.revoke`
 * it subscribes to, applied or reverted (a refusal by a cap changed nothing to tell), on one of
 * its channels. A caep receiver gets applied revocations only: CAEP has no "un-revoke", and the
 * end of the TTL needs no signal (the user simply logs in again).
 */
export function receiverTakes(receiver: WebhookReceiver, action: EnforcementAction): boolean {
  if (!isWebhookAction(action.action) || action.mode !== 'enforce' || action.state === 'failed') return false;
  if (!receiver.actions.includes(action.action)) return false;
  if (receiver.format === 'caep' && action.state !== 'applied') return false;
  if (action.action === 'notify' && receiver.channels) {
    const channel = action.params?.['channel'];
    return receiver.channels.includes(typeof channel === 'string' ? channel : 'default');
  }
  return true;
}

function compileReceiver(raw: unknown, at: string, env: Readonly<Record<string, string | undefined>>): WebhookReceiver {
  if (!isObject(raw)) throw new InvalidWebhookConfig(`${at}: must be an object`);
  const name = raw['name'];
  if (typeof name !== 'string' || !/^[\w.-]+$/.test(name)) throw new InvalidWebhookConfig(`${at}.name: must be letters, digits, '.', '_' or '-'`);
  const where = `${at} (${name})`;
  const fail = (field: string, problem: string): never => {
    throw new InvalidWebhookConfig(`${where}.${field}: ${problem}`);
  };
  for (const key of Object.keys(raw)) if (!RECEIVER_FIELDS.includes(key)) fail(key, `unknown field (known: ${RECEIVER_FIELDS.join(', ')})`);

  const url = raw['url'];
  let parsed: URL | undefined;
  try {
    parsed = typeof url === 'string' ? new URL(url) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed || typeof url !== 'string') return fail('url', 'must be an http(s) URL');
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') fail('url', `must use https: or http:, not ${parsed.protocol}`);

  const secret = readSecret(raw, env, fail);
  const format = raw['format'] ?? 'json';
  if (typeof format !== 'string' || !(WEBHOOK_FORMATS as readonly string[]).includes(format)) fail('format', `must be one of ${WEBHOOK_FORMATS.join(', ')}`);

  const actions = raw['actions'] ?? (format === 'caep' ? ['session.revoke'] : [...WEBHOOK_ACTIONS]);
  if (!Array.isArray(actions) || actions.length === 0) return fail('actions', `must be a non-empty list of ${WEBHOOK_ACTIONS.join(', ')}`);
  for (const a of actions) if (typeof a !== 'string' || !(WEBHOOK_ACTIONS as readonly string[]).includes(a)) fail('actions', `"${String(a)}" is not one of ${WEBHOOK_ACTIONS.join(', ')}`);
  if (format === 'caep' && actions.some((a) => a !== 'session.revoke')) fail('actions', 'a caep receiver takes session.revoke only (CAEP has no event for notify)');

  const channels = raw['channels'];
  if (channels !== undefined && (!Array.isArray(channels) || channels.length === 0 || channels.some((c) => typeof c !== 'string' || c === ''))) fail('channels', 'must be a non-empty list of channel names');

  const retries = raw['retries'] ?? 3;
  if (typeof retries !== 'number' || !Number.isInteger(retries) || retries < 0 || retries > 10) fail('retries', 'must be a whole number from 0 to 10');

  const audience = raw['audience'] ?? url;
  if (typeof audience !== 'string' || audience === '') fail('audience', 'must be a non-empty string');

  let timeoutMs = 5_000;
  try {
    timeoutMs = duration(raw['timeout'] ?? '5s', 'timeout');
  } catch (err) {
    fail('timeout', errorMessage(err).replace(/^timeout: /, ''));
  }
  if (timeoutMs < 1 || timeoutMs > 60_000) fail('timeout', 'must be from 1ms to 60s');

  return {
    name,
    url,
    secret,
    format: format as WebhookFormat,
    actions: actions as WebhookAction[],
    ...(channels ? { channels: channels as string[] } : {}),
    timeoutMs,
    retries: retries as number,
    audience: audience as string,
  };
}

function readSecret(raw: Record<string, unknown>, env: Readonly<Record<string, string | undefined>>, fail: (field: string, problem: string) => never): string {
  const inline = raw['secret'];
  const variable = raw['secretEnv'];
  if (inline !== undefined && variable !== undefined) fail('secret', 'give secret or secretEnv, not both');
  if (variable !== undefined) {
    if (typeof variable !== 'string' || !/^[A-Z_][A-Z0-9_]*$/.test(variable)) fail('secretEnv', 'must be an environment variable name');
    const value = env[variable];
    if (value === undefined || value.length < 16) fail('secretEnv', `${variable} is not set or shorter than 16 characters`);
    return value;
  }
  if (typeof inline !== 'string' || inline.length < 16) fail('secret', 'is required: a string of at least 16 characters (or name a variable in secretEnv)');
  return inline;
}

function duration(raw: unknown, field: string): number {
  if (typeof raw !== 'string' && typeof raw !== 'number') throw new InvalidWebhookConfig(`${field}: must be a duration (500ms, 5s) or milliseconds`);
  try {
    return parseDuration(raw, field);
  } catch (err) {
    throw new InvalidWebhookConfig(errorMessage(err));
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * RATCHET_WEBHOOKS: a YAML or JSON file of receivers, read and validated once at start-up.
 * Unset: no webhooks. A problem stops start-up with `RATCHET_WEBHOOKS: <path>: <field>: …`.
 */
export function readWebhookSettings(env: Readonly<Record<string, string | undefined>>): WebhookSettings | undefined {
  const path = env['RATCHET_WEBHOOKS']?.trim();
  if (!path) return undefined;
  const prefix = `RATCHET_WEBHOOKS: ${path}`;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InvalidWebhookConfig(`${prefix}: cannot be read (${errorCode(err)})`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text) as unknown;
  } catch (err) {
    throw new InvalidWebhookConfig(`${prefix}: is not YAML or JSON (${errorMessage(err)})`);
  }
  try {
    return compileWebhookSettings(raw, env);
  } catch (err) {
    throw new InvalidWebhookConfig(`${prefix}: ${errorMessage(err)}`);
  }
}
