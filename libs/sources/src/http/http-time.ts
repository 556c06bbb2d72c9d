/** The time formats of access and error logs (NGINX, Envoy, HAProxy, Apache, syslog) to ISO-8601. Undefined when the date does not exist. */

const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/**
 * 1–12 for a month as logs abbreviate it (`Nov`); 0 for anything else, which `isoFromTimeLocal` and
 * `isoFromUtcParts` refuse with the rest of the date, so their callers need not check it first.
 */
export function monthNumber(name: string): number {
  return MONTH_NAMES.indexOf(name as (typeof MONTH_NAMES)[number]) + 1;
}

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * A calendar date and a wall-clock time that exist (no 30 February, no 24:00, no leap second: NGINX
 * and Envoy never write one). The one place a month is checked: `month` is 1–12, as written in
 * digits or from `monthNumber`, whose 0 for an unknown name fails here.
 */
function exists(year: string, month: number, day: string, hour: string, minute: string, second: string): boolean {
  const d = +day;
  return month >= 1 && month <= 12 && d >= 1 && d <= daysIn(+year, month) && +hour <= 23 && +minute <= 59 && +second <= 59;
}

/**
 * `$time_local` parts (`24/Nov/2026:10:00:00 +0100`) to `2026-11-24T10:00:00+01:00`: the local
 * time and its offset as logged, so the instant is exact and the operator's wall clock stays visible.
 */
export function isoFromTimeLocal(
  day: string,
  monthName: string,
  year: string,
  hour: string,
  minute: string,
  second: string,
  sign: string,
  offsetHours: string,
  offsetMinutes: string,
): string | undefined {
  const month = monthNumber(monthName);
  if (!exists(year, month, day, hour, minute, second)) return undefined;
  if (+offsetHours > 23 || +offsetMinutes > 59) return undefined;
  return `${year}-${String(month).padStart(2, '0')}-${day}T${hour}:${minute}:${second}${sign}${offsetHours}:${offsetMinutes}`;
}

const TIME_LOCAL = /^(\d\d)\/([A-Z][a-z]{2})\/(\d{4}):(\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)$/;

/** A whole `$time_local` string. */
export function parseTimeLocal(value: string): string | undefined {
  const m = TIME_LOCAL.exec(value);
  if (!m) return undefined;
  const [, d, mon, y, hh, mm, ss, sign, oh, om] = m as unknown as [string, string, string, string, string, string, string, string, string, string];
  return isoFromTimeLocal(d, mon, y, hh, mm, ss, sign, oh, om);
}

/**
 * An error-log time (`2026/11/24 10:00:00`). NGINX writes it in the server's local zone without
 * saying which; Ratchet reads it as UTC (containers run in UTC unless told otherwise).
 */
export function isoFromErrorLogTime(year: string, month: string, day: string, hour: string, minute: string, second: string): string | undefined {
  if (!exists(year, +month, day, hour, minute, second)) return undefined;
  return `${year}-${month}-${day}T${hour}:${minute}:${second}Z`;
}

const ISO_8601 = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.\d{1,9})?(?:Z|[+-](\d\d):(\d\d))$/;

/** An ISO-8601 date-time with a `Z` or `±hh:mm` offset (`$time_iso8601`, Envoy's `%START_TIME%`), as given. */
export function checkIsoTime(value: string): string | undefined {
  const m = ISO_8601.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, hh, mm, ss, oh, om] = m as unknown as [string, string, string, string, string, string, string, string?, string?];
  if (!exists(y, +mo, d, hh, mm, ss)) return undefined;
  if (oh !== undefined && (+oh > 23 || +(om ?? 0) > 59)) return undefined;
  return value;
}

/** `$msec` (`1795514400.123`, seconds since the epoch) to UTC ISO-8601. */
export function isoFromMsec(value: string | number): string | undefined {
  const seconds = typeof value === 'number' ? value : /^\d{9,11}(?:\.\d{1,3})?$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(seconds) || seconds <= 0) return undefined;
  const date = new Date(Math.round(seconds * 1000));
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/**
 * A logged UTC date and time from its parts (`month` 1–12, as `monthNumber` gives it; `millisecond`
 * optional) as ISO-8601 with `Z`; undefined when it does not exist (31 November, 24:00, a month
 * name `monthNumber` does not know).
 */
export function isoFromUtcParts(year: string, month: number, day: string, hour: string, minute: string, second: string, millisecond = 0): string | undefined {
  if (!exists(year, month, day, hour, minute, second)) return undefined;
  return new Date(Date.UTC(+year, month - 1, +day, +hour, +minute, +second, millisecond)).toISOString();
}
