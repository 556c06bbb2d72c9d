import type { AuthEvent, RiskSignal } from '@ratchet/contracts';
import { entityRef, type EntityRef } from '@ratchet/kernel';
import { ratedSignal, userIdOf, type Detector } from '../detector';
import { compileSettings, durationSetting, type SettingReader } from '../detector-config';
import { NO_OPS, NO_SIGNALS } from '../event-reading';

export interface TokenReuseParams {
  /** How long a token's last use is remembered. */
  retainMs: number;
}

const READERS: Readonly<Record<string, SettingReader<TokenReuseParams>>> = {
  retain: durationSetting('retainMs'),
};

/**
 * A stolen session or token replayed elsewhere: the same `client.tokenId` (else `sessionId`) used
 * from a different address AND a different network (ASN) or device than its previous use. A new
 * address alone is not enough — phones hop between addresses of one carrier, and dual-stack
 * clients between IPv4 and IPv6. The source's own verdict (fact `token-reuse`: the IdP saw a
 * rotated refresh token come back) fires at once. Signals land on the token (`token:<id>`, so a
 * chain can revoke it) and on its user. Severity 0.8.
 */
export const tokenReuseDetector: Detector<TokenReuseParams> = {
  id: 'auth.token-reuse',
  signalType: 'token_reuse',
  summary: 'A token or session used from a new address and a new ASN or device, or reported reused by the IdP (remembered for `retain`, default 24h)',
  defaults: { retainMs: 86_400_000 },
  compile(raw) {
    return compileSettings(this.id, raw, this.defaults, READERS);
  },
  plan(event, p) {
    const token = tokenOf(event);
    const ip = event.client?.ip;
    if (!token || !ip) return NO_OPS;
    // Admission wrote the address in its canonical spelling.
    const fields = { ip, asn: asnOf(event), device: event.client?.deviceId ?? '' };
    return [{ kind: 'record.merge', key: 'tok', of: token, fields, retainMs: p.retainMs, answer: 'before' }];
  },
  detect(event, [previous]): RiskSignal[] {
    const ip = event.client?.ip;
    if (!ip || typeof previous !== 'object' || Array.isArray(previous)) return NO_SIGNALS;
    const before = previous as Readonly<Record<string, string>>;
    const reported = event.facts?.includes('token-reuse') === true;
    const address = ip;
    const [asn, device] = [asnOf(event), event.client?.deviceId ?? ''];
    const moved =
      before['ip'] !== undefined &&
      before['ip'] !== address &&
      ((before['asn'] !== '' && asn !== '' && before['asn'] !== asn) || (before['device'] !== '' && device !== '' && before['device'] !== device));
    if (!reported && !moved) return NO_SIGNALS;
    const evidence = {
      reportedBySource: reported ? 1 : 0,
      fromIp: before['ip'] ?? '',
      toIp: address,
      fromAsn: before['asn'] ?? '',
      toAsn: asn,
    };
    return entitiesOf(event).map((entity) => ratedSignal(this, event, entity, { severity: 0.8, confidence: reported ? 1 : 0.7, evidence }));
  },
};

function tokenOf(event: AuthEvent): string | undefined {
  return event.client?.tokenId || event.client?.sessionId || undefined;
}

function asnOf(event: AuthEvent): string {
  return event.client?.asn === undefined ? '' : `AS${event.client.asn.number}`;
}

function entitiesOf(event: AuthEvent): EntityRef[] {
  const entities: EntityRef[] = [entityRef('token', tokenOf(event) as string)];
  const user = userIdOf(event);
  if (user) entities.push(entityRef('user', user));
  return entities;
}
