import { AppError, compileAddressSet, errorMessage, looksLikeAddressOrCidr, parseEntityRef, type EntityRef } from '@ratchet/kernel';

/**
 * Entities no chain may act against: health checkers, node and control-plane addresses,
 * break-glass principals. Addresses and CIDRs match `ip:` entities; other entries match exactly.
 */
export interface Allowlist {
  allows(entity: EntityRef): boolean;
}

export function compileAllowlist(entries: readonly string[]): Allowlist {
  const trimmed = entries.map((e) => e.trim()).filter(Boolean);
  const addresses = trimmed.filter(looksLikeAddressOrCidr);
  const exact = new Set<string>();
  for (const entry of trimmed) {
    if (looksLikeAddressOrCidr(entry)) continue;
    if (!parseEntityRef(entry)) {
      throw new AppError('CHAINS.INVALID_ALLOWLIST', `allowlist: "${entry}" is neither an address, a CIDR nor an entity such as user:alice`);
    }
    exact.add(entry);
  }
  let blocks;
  try {
    blocks = compileAddressSet('allowlist:', addresses);
  } catch (err) {
    throw new AppError('CHAINS.INVALID_ALLOWLIST', errorMessage(err));
  }
  return {
    allows(entity) {
      if (exact.has(entity)) return true;
      const ref = parseEntityRef(entity);
      return ref?.kind === 'ip' && blocks.has(ref.id);
    },
  };
}

/**
 * Caps no chain can lift: how many new actions may start per minute and how many may be in
 * force at once. Defaults: 1,000 a minute (a credential-stuffing wave from hundreds of addresses
 * brings three actions each on the default chain: the cap brakes a runaway chain, it must not let
 * a real attack outrun the enforcer), 10,000 in force (ENFORCER_MAX_NEW_ACTIONS_PER_MINUTE,
 * ENFORCER_MAX_ACTIVE_ACTIONS). Extending an action in force is not new and is never capped;
 * shadow actions touch nothing and are not counted.
 */
export interface ActionCaps {
  newPerMinute: number;
  active: number;
}

export const DEFAULT_ACTION_CAPS: ActionCaps = { newPerMinute: 1_000, active: 10_000 };

/**
 * Counts the new actions of the last minute (a sliding window over decision times). Pure: the
 * time comes with each call. One per enforcer replica, so with n replicas the per-minute cap is
 * n × the setting; the active cap compares with the shared decision store's count.
 */
export class ActionCapGuard {
  private readonly started: number[] = [];

  constructor(readonly caps: ActionCaps) {}

  /** Admits one new action at `now` given how many are in force, or says which cap refuses it. */
  admit(now: number, active: number): { admitted: true } | { admitted: false; detail: string } {
    while (this.started.length > 0 && (this.started[0] as number) <= now - 60_000) this.started.shift();
    if (active >= this.caps.active) return { admitted: false, detail: `${active} actions in force, the cap is ${this.caps.active}` };
    if (this.started.length >= this.caps.newPerMinute) {
      return { admitted: false, detail: `${this.started.length} new actions in the last minute, the cap is ${this.caps.newPerMinute}` };
    }
    this.started.push(now);
    return { admitted: true };
  }
}
