import type { AuthEventInput } from '@ratchet/contracts';
import { refusedRecord, type SourceParser } from '../source-parser';

/** Ratchet's own event shape, as `POST /v1/events` takes it; validation happens at admission. */
export const canonicalParser: SourceParser = {
  id: 'canonical',
  summary: "Ratchet's canonical AuthEvent (JSON, arrays, NDJSON); fields are validated at admission",
  framing: 'json',
  parse(record) {
    if (typeof record !== 'object' || record === null || Array.isArray(record)) return refusedRecord('(event): must be a JSON object');
    return { ok: true, events: [record as AuthEventInput] };
  },
};
