import { AUTH_ACTIONS, OUTCOMES, PLANES, PRINCIPAL_TYPES, type AuthEventInput } from '@ratchet/contracts';
import { AppError } from '@ratchet/kernel';
import { recordId } from '../http/http-access';
import { address, asNumber, coordinate, isObject, isoTime } from '../json/json-record';
import { ignoredRecord, refusedRecord, type BatchEnvelope, type SourceParser, type SourceResult } from '../source-parser';

/** A sources file or a configured source that cannot be compiled; the message names the setting. */
export class InvalidSourceConfig extends AppError {
  constructor(at: string, problem: string) {
    super('SOURCES.INVALID_CONFIG', `${at}: ${problem}`);
  }
}

/** How a value of one event field is checked and normalised. */
type Kind =
  | { type: 'time' }
  | { type: 'text'; max: number }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'ip' }
  | { type: 'country' }
  | { type: 'coordinate'; limit: 90 | 180 }
  | { type: 'asn' }
  | { type: 'status' }
  | { type: 'method' }
  | { type: 'boolean' };

const text = (max: number): Kind => ({ type: 'text', max });

/** The event fields a mapping may set, and how each is read. Limits are the contract's. */
const TARGETS: Readonly<Record<string, Kind>> = {
  time: { type: 'time' },
  id: text(256),
  plane: { type: 'enum', values: PLANES },
  action: { type: 'enum', values: AUTH_ACTIONS },
  outcome: { type: 'enum', values: OUTCOMES },
  reason: text(512),
  'source.name': text(256),
  'principal.type': { type: 'enum', values: PRINCIPAL_TYPES },
  'principal.id': text(512),
  'principal.spiffeId': text(512),
  'client.ip': { type: 'ip' },
  'client.userAgent': text(1024),
  'client.deviceId': text(256),
  'client.sessionId': text(256),
  'client.tokenId': text(256),
  'client.geo.country': { type: 'country' },
  'client.geo.city': text(128),
  'client.geo.lat': { type: 'coordinate', limit: 90 },
  'client.geo.lon': { type: 'coordinate', limit: 180 },
  'client.asn.number': { type: 'asn' },
  'client.asn.org': text(256),
  'target.host': text(512),
  'target.path': text(4096),
  'target.method': { type: 'method' },
  'target.service': text(512),
  'target.namespace': text(253),
  'target.name': text(253),
  'target.status': { type: 'status' },
  'auth.method': text(64),
  'auth.mfa': { type: 'boolean' },
};

const REQUIRED = ['time', 'plane', 'action', 'outcome'] as const;
const TIME_FORMATS = ['auto', 'rfc3339', 'epoch-s', 'epoch-ms'] as const;
type TimeFormat = (typeof TIME_FORMATS)[number];
const SOURCE_ID = /^[a-z0-9]+(-[a-z0-9]+)*$/;
/** `a.b[0].c`: keys without dots or brackets, each followed by any number of indices. */
const PATH = /^[^.[\]]+(\[\d+\])*(\.[^.[\]]+(\[\d+\])*)*$/;

type Value = string | number | boolean;
type Segment = string | number;

interface CompiledField {
  target: string;
  kind: Kind;
  path: string;
  segments: Segment[];
  map?: ReadonlyMap<string, Value>;
  otherwise?: Value;
  default?: Value;
  format: TimeFormat;
}

interface CompiledMapping {
  id: string;
  fields: CompiledField[];
  constants: Array<{ target: string; value: Value }>;
  only?: { path: string; segments: Segment[]; in: ReadonlySet<string> };
}

/**
 * Sources an operator defines without code: a JSON application log read by field paths.
 *
 * ```json
 * { "sources": { "myapp": {
 *     "summary": "My app's sign-in audit log",
 *     "envelope": { "records": "data.items" },
 *     "only": { "path": "type", "in": ["login", "mfa"] },
 *     "fields": {
 *       "time": { "path": "ts", "format": "epoch-ms" },
 *       "client.ip": "req.remote",
 *       "principal.id": "user.email",
 *       "outcome": { "path": "result", "map": { "ok": "success", "fail": "failure" } }
 *     },
 *     "constants": { "plane": "north-south", "action": "login" } } } }
 * ```
 *
 * - `fields` maps an event field to a path in the record: dotted keys with array indices
 *   (`req.headers[0].value`); keys that contain a dot or a bracket cannot be named. A field is a
 *   path, or `{ path, map?, otherwise?, default?, format? }`: `map` translates the record's value
 *   (its text: `200`, `true`, `ok`) into the event's, `otherwise` is the event's value for anything
 *   `map` does not list (without it such a record is refused), `default` the value when the path is
 *   absent, `format` how `time` is written: `auto` (default: RFC 3339 text, or epoch seconds or
 *   milliseconds told apart by size), `rfc3339`, `epoch-s`, `epoch-ms`.
 * - `constants` sets event fields that are the same for every record (`plane`, `action` …).
 * - `time`, `plane`, `action` and `outcome` are required, from `fields` or `constants`.
 * - `envelope` (optional) names the array a producer batches records in; `only` (optional) keeps
 *   records whose value at `path` is one of `in`, and ignores the rest under that value.
 * - The event id is `<source id>:<value>` when `id` is mapped, else a hash of the record, so
 *   re-ingesting is idempotent. A `principal.id` without a `principal.type` is a user.
 *
 * Every configuration error names the setting (`sources.myapp.fields.outcome.map: …`); every
 * record error names the record's path (`req.remote: "x" is not an IPv4 or IPv6 address`).
 *
 * `jsonMappingParser` compiles one configured source (`raw` is the value under `sources.<id>`)
 * into a parser, once; it throws `InvalidSourceConfig` naming the setting.
 */
export function jsonMappingParser(id: string, raw: unknown): SourceParser {
  const at = `sources.${id}`;
  if (!SOURCE_ID.test(id) || id.length > 64) throw new InvalidSourceConfig(at, 'a source id is up to 64 lower-case letters, digits and single dashes (it is a URL segment)');
  const config = objectOf(raw, at);
  onlyKeys(config, at, ['summary', 'envelope', 'only', 'fields', 'constants']);
  const summary = config['summary'] === undefined ? `configured JSON source ${id}` : stringOf(config['summary'], `${at}.summary`);
  const fields = Object.entries(objectOf(config['fields'], `${at}.fields`)).map(([target, spec]) => compileField(target, spec, `${at}.fields.${target}`));
  const constantsRaw = config['constants'] === undefined ? {} : objectOf(config['constants'], `${at}.constants`);
  const constants = Object.entries(constantsRaw).map(([target, value]) => {
    const where = `${at}.constants.${target}`;
    const kind = targetKind(target, where);
    if (target === 'time' || target === 'id') throw new InvalidSourceConfig(where, `${target} differs per record; map it in fields`);
    if (fields.some((f) => f.target === target)) throw new InvalidSourceConfig(where, `is also in ${at}.fields; set it in one place`);
    return { target, value: checkConfigValue(kind, value, where) };
  });
  for (const target of REQUIRED) {
    if (!fields.some((f) => f.target === target) && !constants.some((c) => c.target === target)) {
      throw new InvalidSourceConfig(`${at}.fields.${target}`, 'is required (in fields, or in constants when every record has the same value)');
    }
  }
  const mapping: CompiledMapping = { id, fields, constants };
  if (config['only'] !== undefined) mapping.only = compileOnly(config['only'], `${at}.only`);
  const parser: SourceParser = { id, summary, framing: 'json', parse: (record) => parseMapped(mapping, record) };
  if (config['envelope'] === undefined) return parser;
  return { ...parser, envelopes: [compileEnvelope(id, config['envelope'], `${at}.envelope`)] };
}

/**
 * Compiles a sources file: `{ "sources": { "<id>": { … } } }`, one parser per source, in order.
 * Throws `InvalidSourceConfig` naming the setting.
 */
export function compileSourceMappings(raw: unknown): SourceParser[] {
  const file = objectOf(raw, '(file)');
  onlyKeys(file, '(file)', ['sources']);
  return Object.entries(objectOf(file['sources'], 'sources')).map(([id, config]) => jsonMappingParser(id, config));
}

// ---- compiling ---------------------------------------------------------------------------

function compileField(target: string, spec: unknown, at: string): CompiledField {
  const kind = targetKind(target, at);
  if (typeof spec === 'string') return { target, kind, ...compilePath(spec, at), format: 'auto' };
  const o = objectOf(spec, at, 'must be a path, or an object with a path');
  onlyKeys(o, at, ['path', 'map', 'otherwise', 'default', 'format']);
  const field: CompiledField = { target, kind, ...compilePath(o['path'], `${at}.path`), format: 'auto' };
  if (o['map'] !== undefined) {
    const entries = Object.entries(objectOf(o['map'], `${at}.map`));
    if (entries.length === 0) throw new InvalidSourceConfig(`${at}.map`, 'lists no value; remove it or add one');
    field.map = new Map(entries.map(([from, to]) => [from, checkConfigValue(kind, to, `${at}.map.${from}`)]));
  }
  if (o['otherwise'] !== undefined) {
    if (field.map === undefined) throw new InvalidSourceConfig(`${at}.otherwise`, 'applies to values map does not list; it needs a map');
    field.otherwise = checkConfigValue(kind, o['otherwise'], `${at}.otherwise`);
  }
  if (o['default'] !== undefined) field.default = checkConfigValue(kind, o['default'], `${at}.default`);
  if (o['format'] !== undefined) {
    if (kind.type !== 'time') throw new InvalidSourceConfig(`${at}.format`, 'applies to time only');
    if (!(TIME_FORMATS as readonly unknown[]).includes(o['format'])) throw new InvalidSourceConfig(`${at}.format`, `must be one of ${TIME_FORMATS.join(', ')}`);
    field.format = o['format'] as TimeFormat;
  }
  return field;
}

function compilePath(raw: unknown, at: string): { path: string; segments: Segment[] } {
  if (typeof raw !== 'string' || !PATH.test(raw)) throw new InvalidSourceConfig(at, 'must be a path of dotted keys with optional indices: user.email, req.headers[0]');
  const segments: Segment[] = [];
  for (const part of raw.split('.')) {
    const key = part.slice(0, part.includes('[') ? part.indexOf('[') : part.length);
    segments.push(key);
    for (const m of part.matchAll(/\[(\d+)\]/g)) segments.push(Number(m[1]));
  }
  return { path: raw, segments };
}

function compileOnly(raw: unknown, at: string): NonNullable<CompiledMapping['only']> {
  const o = objectOf(raw, at);
  onlyKeys(o, at, ['path', 'in']);
  const values = o['in'];
  if (!Array.isArray(values) || values.length === 0 || !values.every(isScalar)) {
    throw new InvalidSourceConfig(`${at}.in`, 'must be a non-empty list of the values to keep (text, numbers or booleans)');
  }
  return { ...compilePath(o['path'], `${at}.path`), in: new Set(values.map(String)) };
}

function compileEnvelope(id: string, raw: unknown, at: string): BatchEnvelope {
  const o = objectOf(raw, at);
  onlyKeys(o, at, ['records', 'when']);
  const records = o['records'];
  if (typeof records !== 'string' || !/^[^.[\]]+(\.[^.[\]]+)*$/.test(records)) throw new InvalidSourceConfig(`${at}.records`, 'must be a dotted path to the array of records: data.items');
  if (o['when'] === undefined) return { name: `${id} batch`, records };
  const when = objectOf(o['when'], `${at}.when`);
  onlyKeys(when, `${at}.when`, ['field', 'equals']);
  if (typeof when['field'] !== 'string' || typeof when['equals'] !== 'string') {
    throw new InvalidSourceConfig(`${at}.when`, 'must name a top-level field and the text it equals: { "field": "kind", "equals": "batch" }');
  }
  return { name: `${id} batch`, records, when: { field: when['field'], equals: when['equals'] } };
}

function targetKind(target: string, at: string): Kind {
  const kind = TARGETS[target];
  if (kind === undefined) throw new InvalidSourceConfig(at, `is not an event field; one of ${Object.keys(TARGETS).join(', ')}`);
  return kind;
}

/** A value written in the configuration (a map entry, a constant, a default) must already be right. */
function checkConfigValue(kind: Kind, raw: unknown, at: string): Value {
  if (!isScalar(raw)) throw new InvalidSourceConfig(at, 'must be text, a number or a boolean');
  const checked = convert(kind, raw, 'auto');
  if (!checked.ok) throw new InvalidSourceConfig(at, checked.problem);
  return checked.value;
}

// ---- reading records -----------------------------------------------------------------------

function parseMapped(mapping: CompiledMapping, record: unknown): SourceResult {
  if (!isObject(record)) return refusedRecord('(record): must be a JSON object');
  if (mapping.only) {
    const value = valueAt(record, mapping.only.segments);
    if (!isScalar(value) || !mapping.only.in.has(String(value))) return ignoredRecord(`${mapping.only.path} ${isScalar(value) ? String(value) : '(absent)'}`);
  }
  const values = new Map<string, Value>(mapping.constants.map((c) => [c.target, c.value]));
  for (const field of mapping.fields) {
    const read = readField(field, valueAt(record, field.segments));
    if (!read.ok) return refusedRecord(read.problem);
    if (read.value !== undefined) values.set(field.target, read.value);
  }
  for (const target of REQUIRED) if (!values.has(target)) return refusedRecord(`${mapping.fields.find((f) => f.target === target)?.path ?? target}: is required`);
  if (values.has('principal.id') && !values.has('principal.type')) values.set('principal.type', 'user');

  const event: Record<string, unknown> = { source: { kind: mapping.id } };
  for (const [target, value] of values) put(event, target, target === 'id' ? `${mapping.id}:${String(value)}`.slice(0, 256) : value);
  event['id'] ??= recordId(mapping.id, JSON.stringify(record));
  return { ok: true, events: [event as unknown as AuthEventInput] };
}

function readField(field: CompiledField, raw: unknown): { ok: true; value?: Value } | { ok: false; problem: string } {
  if (raw === undefined || raw === null || raw === '') return field.default === undefined ? { ok: true } : { ok: true, value: field.default };
  if (!isScalar(raw)) return { ok: false, problem: `${field.path}: must be text, a number or a boolean, not ${Array.isArray(raw) ? 'an array' : 'an object'}` };
  if (field.map) {
    const mapped = field.map.get(String(raw)) ?? field.otherwise;
    if (mapped === undefined) return { ok: false, problem: `${field.path}: ${JSON.stringify(raw)} is not one of the mapped values (${[...field.map.keys()].join(', ')})` };
    return { ok: true, value: mapped };
  }
  const converted = convert(field.kind, raw, field.format);
  return converted.ok ? converted : { ok: false, problem: `${field.path}: ${converted.problem}` };
}

/** Checks and normalises one value for an event field; `problem` reads after the path or setting. */
function convert(kind: Kind, raw: Value, format: TimeFormat): { ok: true; value: Value } | { ok: false; problem: string } {
  const shown = JSON.stringify(raw);
  switch (kind.type) {
    case 'time': {
      const time = readTime(raw, format);
      return time ? { ok: true, value: time } : { ok: false, problem: `${shown} is not a time (${format === 'auto' ? 'RFC 3339, epoch seconds or epoch milliseconds' : format})` };
    }
    case 'text': {
      const value = String(raw);
      return { ok: true, value: value.length <= kind.max ? value : value.slice(0, kind.max) };
    }
    case 'enum':
      return typeof raw === 'string' && kind.values.includes(raw) ? { ok: true, value: raw } : { ok: false, problem: `${shown} must be one of ${kind.values.join(', ')} (map it)` };
    case 'ip': {
      const ip = address(raw);
      return ip ? { ok: true, value: ip } : { ok: false, problem: `${shown} is not an IPv4 or IPv6 address` };
    }
    case 'country':
      return typeof raw === 'string' && /^[A-Za-z]{2}$/.test(raw) ? { ok: true, value: raw.toUpperCase() } : { ok: false, problem: `${shown} is not an ISO 3166-1 alpha-2 country code` };
    case 'coordinate': {
      const n = coordinate(raw, kind.limit);
      return n === undefined ? { ok: false, problem: `${shown} is not a number from -${kind.limit} to ${kind.limit}` } : { ok: true, value: n };
    }
    case 'asn': {
      const n = asNumber(raw);
      return n === undefined ? { ok: false, problem: `${shown} is not an autonomous system number` } : { ok: true, value: n };
    }
    case 'status': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d{3}$/.test(raw) ? Number(raw) : Number.NaN;
      return Number.isInteger(n) && n >= 100 && n <= 599 ? { ok: true, value: n } : { ok: false, problem: `${shown} is not an HTTP status (100 to 599)` };
    }
    case 'method': {
      const method = String(raw).toUpperCase();
      return /^[A-Z][A-Z_-]{0,15}$/.test(method) ? { ok: true, value: method } : { ok: false, problem: `${shown} is not an HTTP method` };
    }
    case 'boolean':
      if (typeof raw === 'boolean') return { ok: true, value: raw };
      if (raw === 'true' || raw === 'false') return { ok: true, value: raw === 'true' };
      return { ok: false, problem: `${shown} is not true or false (map it)` };
  }
}

/** Epoch values below 10^11 are seconds (until the year 5138), above are milliseconds (after 1973). */
const EPOCH_SECONDS_BELOW = 1e11;

function readTime(raw: Value, format: TimeFormat): string | undefined {
  if (typeof raw === 'boolean') return undefined;
  const numeric = typeof raw === 'number' ? raw : /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : undefined;
  if (format === 'rfc3339' || (format === 'auto' && numeric === undefined)) return typeof raw === 'string' ? isoTime(raw) : undefined;
  if (numeric === undefined || !Number.isFinite(numeric) || numeric <= 0) return undefined;
  const seconds = format === 'epoch-s' || (format === 'auto' && numeric < EPOCH_SECONDS_BELOW);
  const date = new Date(seconds ? Math.round(numeric * 1000) : Math.round(numeric));
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function valueAt(record: Record<string, unknown>, segments: readonly Segment[]): unknown {
  let value: unknown = record;
  for (const segment of segments) {
    if (typeof segment === 'number') value = Array.isArray(value) ? (value as unknown[])[segment] : undefined;
    else value = isObject(value) && Object.hasOwn(value, segment) ? value[segment] : undefined;
  }
  return value;
}

function put(event: Record<string, unknown>, target: string, value: Value): void {
  const keys = target.split('.');
  let node = event;
  for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
  node[keys[keys.length - 1] as string] = value;
}

// ---- configuration values ------------------------------------------------------------------

function isScalar(value: unknown): value is Value {
  return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean';
}

function objectOf(raw: unknown, at: string, problem = 'must be an object'): Record<string, unknown> {
  if (!isObject(raw)) throw new InvalidSourceConfig(at, problem);
  return raw;
}

function stringOf(raw: unknown, at: string): string {
  if (typeof raw !== 'string' || raw.trim() === '') throw new InvalidSourceConfig(at, 'must be non-blank text');
  return raw;
}

function onlyKeys(o: Record<string, unknown>, at: string, allowed: readonly string[]): void {
  for (const key of Object.keys(o)) if (!allowed.includes(key)) throw new InvalidSourceConfig(`${at}.${key}`, `is not a setting; one of ${allowed.join(', ')}`);
}
