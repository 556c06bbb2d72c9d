import { canonicalParser } from './canonical';
import type { SourceParser } from './source-parser';

/** Every format Ratchet reads. A plain array: no registration by import side effect. */
export const SOURCES: readonly SourceParser[] = [canonicalParser];

export function findSource(id: string): SourceParser | undefined {
  return SOURCES.find((s) => s.id === id);
}
