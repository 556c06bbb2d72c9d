import type { AsnDto, Fact, GeoDto } from '@ratchet/contracts';
import { canonicalAddress } from '@ratchet/kernel';
import { countryCode } from './country-codes';

/** Readers for JSON records of unknown shape, shared by the JSON parsers (IdPs, Kubernetes). */

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/i;

/** JSON text as its value; undefined when it is not JSON (JSON's own `null` comes back as null). */
export function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A line that must hold one JSON object (JSON log formats): the object, or the problem as text. */
export function parseJsonObjectLine(line: string): Record<string, unknown> | string {
  const value = parseJsonText(line);
  if (value === undefined) return '(line): starts with "{" but is not JSON';
  return isObject(value) ? value : '(line): must be a JSON object';
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function asObject(value: unknown): Record<string, unknown> | undefined {
  return isObject(value) ? value : undefined;
}

export function objectAt(parent: unknown, key: string): Record<string, unknown> | undefined {
  return isObject(parent) ? asObject(parent[key]) : undefined;
}

/** An address in Ratchet's one spelling (see `canonicalAddress`); `false` when the field holds something else; absent: undefined. */
export function address(value: unknown): string | false | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  return (typeof value === 'string' && canonicalAddress(value)) || false;
}

/** A non-blank string; anything else (absent, null, a number, '') reads as absent. */
export function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** Cut to the contract's limit, so a long vendor value does not dead-letter the whole event. */
export function clip(value: string, max: number): string;
export function clip(value: string | undefined, max: number): string | undefined;
export function clip(value: string | undefined, max: number): string | undefined {
  return value === undefined || value.length <= max ? value : value.slice(0, max);
}

/** The object without its undefined fields, or undefined when none is left. */
export function defined<T extends object>(fields: T): T | undefined {
  const entries = Object.entries(fields).filter(([, v]) => v !== undefined);
  return entries.length === 0 ? undefined : (Object.fromEntries(entries) as T);
}

/** An ISO-8601 date-time as UTC with milliseconds; without an offset it is read as UTC. Not a real date: undefined. */
export function isoTime(raw: string): string | undefined {
  const m = DATE_TIME.exec(raw.trim());
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  const local = new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms));
  if (local.getUTCFullYear() !== year || local.getUTCMonth() !== month - 1 || local.getUTCDate() !== day) return undefined;
  if (local.getUTCHours() !== hour || local.getUTCMinutes() !== minute || local.getUTCSeconds() !== second) return undefined;
  const zone = (m[8] ?? 'Z').toUpperCase();
  const offsetMinutes = zone === 'Z' ? 0 : (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(-2)));
  return new Date(local.getTime() - offsetMinutes * 60_000).toISOString();
}

/** A finite number, or a string that spells one (some exports write coordinates as text); else undefined. */
export function numeric(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Where the IdP placed the client, in the contract's shape: `country` only when it is (or names)
 * an ISO 3166-1 country, coordinates only when both are in range (Okta and Entra write 0,0 or
 * nothing when they do not know). Nothing known: undefined.
 */
export function geoOf(raw: { country?: unknown; city?: unknown; lat?: unknown; lon?: unknown }): GeoDto | undefined {
  const name = text(raw.country);
  const lat = numeric(raw.lat);
  const lon = numeric(raw.lon);
  const located = lat !== undefined && lon !== undefined && Math.abs(lat) <= 90 && Math.abs(lon) <= 180 && !(lat === 0 && lon === 0);
  return defined({
    country: name === undefined ? undefined : countryCode(name),
    city: clip(known(text(raw.city)), 128),
    lat: located ? lat : undefined,
    lon: located ? lon : undefined,
  });
}

/** The autonomous system the IdP names, when its number is a valid ASN (`asNumber`). */
export function asnOf(number: unknown, org: unknown): AsnDto | undefined {
  const n = asNumber(number);
  if (n === undefined) return undefined;
  const name = clip(known(text(org)), 256);
  return name ? { number: n, org: name } : { number: n };
}

/** Facts in the order they were established, each once; none: undefined (the field is left out). */
export function factList(...facts: (Fact | false | undefined)[]): Fact[] | undefined {
  const list = [...new Set(facts.filter((f): f is Fact => typeof f === 'string'))];
  return list.length > 0 ? list : undefined;
}

/** IdPs write `unknown`, `null` or `Unknown` where they have no value. */
function known(value: string | undefined): string | undefined {
  return value === undefined || /^(unknown|null|n\/a)$/i.test(value) ? undefined : value;
}

// ---- where a client is: read leniently, since a bad place should not dead-letter an event ----

/** An ISO 3166-1 alpha-2 country code (`de` → `DE`) or a country name the table knows (`Germany` → `DE`); anything else: undefined. */
export function isoCountry(value: unknown): string | undefined {
  return typeof value === 'string' ? countryCode(value) : undefined;
}

/** A finite number (or a numeric string) within `[-limit, limit]`: a latitude (90) or a longitude (180). */
export function coordinate(value: unknown, limit: 90 | 180): number | undefined {
  const n = numeric(value);
  return n !== undefined && Math.abs(n) <= limit ? n : undefined;
}

/** An autonomous system number: a whole number within 32 bits, or `AS64496` as text. */
export function asNumber(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim().replace(/^AS/i, '') || Number.NaN) : Number.NaN;
  return Number.isInteger(n) && n >= 0 && n <= 4_294_967_295 ? n : undefined;
}
