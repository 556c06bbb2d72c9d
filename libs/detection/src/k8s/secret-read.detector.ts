import type { RiskSignal } from '@ratchet/contracts';
import { eventSignal, type Detector } from '../detector';
import { compileNamePatterns, compileSettings, durationSetting, namePatternsSetting, wholeNumberSetting, type NameMatcher, type SettingReader } from '../detector-config';
import { NO_OPS, NO_SIGNALS, principalEntityOf } from '../event-reading';
import { noveltyKeys, noveltyOf, planNovelty, type NoveltySettings } from '../novelty';
import { CONTROL_PLANE_IDENTITIES, isControlPlaneCall } from './control-plane';

const SECRET_READERS = noveltyKeys('k8s-secret-readers');

export interface SecretReadParams extends NoveltySettings {
  /** Identities expected to read secrets anywhere (default: the control plane's own). */
  knownReaders: NameMatcher;
}

const READERS: Readonly<Record<string, SettingReader<SecretReadParams>>> = {
  knownReaders: namePatternsSetting('knownReaders'),
  learning: durationSetting('learningMs'),
  maxReaders: wholeNumberSetting('maxMembers'),
  retain: durationSetting('retainMs'),
};

const READ_VERBS = new Set(['get', 'list', 'watch']);
const DAY = 86_400_000;
/** Every secret of the cluster in one call: Panther rates it critical (Stratus Red Team's dump-secrets). */
const CLUSTER_WIDE = 0.9;
const NEW_READER = 0.6;

/**
 * Secrets read by someone who does not usually read them. Precisely, for a successful get, list or
 * watch of `secrets` by a named identity outside `knownReaders`:
 * - a list or watch across all namespaces (no namespace) always signals (0.9): it dumps every
 *   credential of the cluster at once;
 * - otherwise it signals (0.6) when this identity has not read secrets in this namespace before and
 *   the namespace's secrets are past their learning period (read in two earlier periods of
 *   `learning`, default 1d; see novelty.ts): the first reader of a new namespace is its baseline.
 * Readers are remembered per namespace (`maxReaders`, default 512, for `retain`, default 30d).
 */
export const k8sSecretReadDetector: Detector<SecretReadParams> = {
  id: 'k8s.secret-read',
  signalType: 'k8s_secret_read',
  reads: { planes: ['control'] },
  summary: 'An identity outside `knownReaders` read secrets of a namespace it never read before (after `learning`, 1d), or listed secrets of all namespaces',
  defaults: { knownReaders: compileNamePatterns(CONTROL_PLANE_IDENTITIES), learningMs: DAY, maxMembers: 512, retainMs: 30 * DAY },
  compile(raw) {
    return compileSettings(this.id, raw, this.defaults, READERS);
  },
  plan(event, p) {
    if (!isControlPlaneCall(event) || event.outcome !== 'success' || event.target?.service !== 'secrets') return NO_OPS;
    const verb = event.target.method;
    const reader = event.principal?.id;
    if (verb === undefined || !READ_VERBS.has(verb) || reader === undefined || p.knownReaders(reader)) return NO_OPS;
    return planNovelty(SECRET_READERS, event.target.namespace ?? '*', reader, event.ts, p);
  },
  detect(event, [reader, periods]): RiskSignal[] {
    const entity = principalEntityOf(event);
    if (entity === undefined) return NO_SIGNALS;
    const namespace = event.target?.namespace;
    const verb = event.target?.method ?? '';
    const evidence = { verb, namespace: namespace ?? '*', secret: event.target?.name ?? '' };
    if (namespace === undefined && verb !== 'get') return [eventSignal(this, event, entity, CLUSTER_WIDE, 1, { ...evidence, scope: 'all namespaces' })];
    if (noveltyOf(reader, periods) !== 'new') return NO_SIGNALS;
    return [eventSignal(this, event, entity, NEW_READER, 0.7, { ...evidence, scope: 'new reader' })];
  },
};

