import { BlockList, isIP } from 'node:net';
import { parseEntityRef, type EntityRef } from '@ratchet/kernel';
import { AppError } from '@ratchet/kernel';

/**
 * Entities no chain may act against: health checkers, node and control-plane addresses,
 * break-glass principals. Addresses and CIDRs match `ip:` entities; other entries match exactly.
 */
export interface Allowlist {
  allows(entity: EntityRef): boolean;
}

export function compileAllowlist(entries: readonly string[]): Allowlist {
  const blocks = new BlockList();
  const exact = new Set<string>();
  for (const entry of entries) {
    const trimmed = entry.trim();
    if (!trimmed) continue;
    const [address, prefix] = trimmed.split('/');
    const family = isIP(address ?? '');
    if (family) {
      const type = family === 4 ? 'ipv4' : 'ipv6';
      if (prefix === undefined) blocks.addAddress(address as string, type);
      else {
        const bits = Number(prefix);
        if (!Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128)) {
          throw new AppError('CHAINS.INVALID_ALLOWLIST', `allowlist: "${trimmed}" has an invalid prefix length`);
        }
        blocks.addSubnet(address as string, bits, type);
      }
    } else if (parseEntityRef(trimmed)) exact.add(trimmed);
    else throw new AppError('CHAINS.INVALID_ALLOWLIST', `allowlist: "${trimmed}" is neither an address, a CIDR nor an entity such as user:alice`);
  }
  return {
    allows(entity) {
      if (exact.has(entity)) return true;
      const ref = parseEntityRef(entity);
      if (ref?.kind !== 'ip') return false;
      const family = isIP(ref.id);
      return family !== 0 && blocks.check(ref.id, family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}
