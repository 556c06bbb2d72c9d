import { compileAddressSet, looksLikeAddressOrCidr, parseEntityRef, type EntityRef } from '@ratchet/kernel';
import { AppError } from '@ratchet/kernel';

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
    throw new AppError('CHAINS.INVALID_ALLOWLIST', (err as Error).message);
  }
  return {
    allows(entity) {
      if (exact.has(entity)) return true;
      const ref = parseEntityRef(entity);
      return ref?.kind === 'ip' && blocks.has(ref.id);
    },
  };
}
