import { canonicalParser } from './canonical';
import { envoyJsonParser, envoyParser } from './envoy';
import { nginxAccessParser, nginxErrorParser, nginxJsonParser } from './nginx';
import type { SourceParser } from './source-parser';

/** Every format Ratchet reads. A plain array: no registration by import side effect. */
export const SOURCES: readonly SourceParser[] = [canonicalParser, nginxAccessParser, nginxJsonParser, nginxErrorParser, envoyParser, envoyJsonParser];

export function findSource(id: string): SourceParser | undefined {
  return SOURCES.find((s) => s.id === id);
}
