import { isObject } from './json/json-record';
import type { BatchEnvelope, SourceParser } from './source-parser';

/**
 * What `openEnvelope` found: the records of a batch, each to be parsed on its own and named in a
 * reason by `records[position]` (`Records[3]`, `data.events[0]`); or a refusal naming the path.
 */
export type OpenedEnvelope = { ok: true; name: string; records: readonly unknown[]; path: string } | { ok: false; reason: string };

/**
 * The records inside `record` when it is one of the source's declared envelopes; `undefined` when
 * it is a single record. A JSON object is an envelope when its `when` field holds the expected
 * value (where one is declared) and the first key of the records path is present; the path must
 * then lead to an array, or the whole batch is refused with a reason naming the path. Envelopes
 * are not opened recursively: a batch inside a batch is a record its parser refuses.
 */
export function openEnvelope(source: Pick<SourceParser, 'envelopes'>, record: unknown): OpenedEnvelope | undefined {
  if (!isObject(record) || source.envelopes === undefined) return undefined;
  const envelope = source.envelopes.find((e) => matches(e, record));
  if (envelope === undefined) return undefined;
  let value: unknown = record;
  for (const key of envelope.records.split('.')) value = isObject(value) ? value[key] : undefined;
  if (!Array.isArray(value)) return { ok: false, reason: `${envelope.records}: must be an array of records (${envelope.name})` };
  return { ok: true, name: envelope.name, records: value as unknown[], path: envelope.records };
}

function matches(envelope: BatchEnvelope, record: Record<string, unknown>): boolean {
  if (envelope.when !== undefined && record[envelope.when.field] !== envelope.when.equals) return false;
  const first = envelope.records.split('.')[0] ?? '';
  return Object.hasOwn(record, first);
}
