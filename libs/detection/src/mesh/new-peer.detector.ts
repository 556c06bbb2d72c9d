import type { RiskSignal } from '@ratchet/contracts';
import { entityRef } from '@ratchet/kernel';
import { eventSignal, type Detector } from '../detector';
import { compileSettings, durationSetting, wholeNumberSetting, type SettingReader } from '../detector-config';
import { NO_OPS, NO_SIGNALS, workloadOf } from '../event-reading';
import { noveltyKeys, noveltyOf, planNovelty, type NoveltySettings } from '../novelty';

const MESH_PEERS = noveltyKeys('mesh-peers:svc');

export type NewPeerParams = NoveltySettings;

const READERS: Readonly<Record<string, SettingReader<NewPeerParams>>> = {
  learning: durationSetting('learningMs'),
  maxPeers: wholeNumberSetting('maxMembers'),
  retain: durationSetting('retainMs'),
};

const DAY = 86_400_000;

/**
 * A workload calling a service it has never called: lateral movement from a compromised pod
 * looks like this, and so does a new release — hence a modest severity, and a learning period per
 * caller (see novelty.ts: seen in two earlier periods of `learning`, default 1d) so a workload's
 * first day of calls is its baseline. The caller is the SPIFFE id (else the service principal's
 * id), the callee `target.service`; every outcome counts (a call refused by policy is still an
 * attempt). Entity: `svc:<caller>`.
 */
export const meshNewPeerDetector: Detector<NewPeerParams> = {
  id: 'mesh.new-peer',
  signalType: 'mesh_new_peer',
  reads: { planes: ['east-west'] },
  summary: 'A workload called a service it never called before, once past its learning period (`learning`, default 1d; `maxPeers` 256, `retain` 30d)',
  defaults: { learningMs: DAY, maxMembers: 256, retainMs: 30 * DAY },
  compile(raw) {
    return compileSettings(this.id, raw, this.defaults, READERS);
  },
  plan(event, p) {
    if (event.plane !== 'east-west') return NO_OPS;
    const caller = workloadOf(event);
    const callee = event.target?.service;
    if (caller === undefined || callee === undefined) return NO_OPS;
    return planNovelty(MESH_PEERS, caller, callee, event.ts, p);
  },
  detect(event, [peer, periods]): RiskSignal[] {
    if (noveltyOf(peer, periods) !== 'new') return NO_SIGNALS;
    const caller = workloadOf(event) as string;
    const known = typeof peer === 'object' && 'size' in peer ? Number(peer.size) : 0;
    return [eventSignal(this, event, entityRef('svc', caller), 0.5, 0.7, { callee: event.target?.service ?? '', outcome: event.outcome, knownPeers: known })];
  },
};
