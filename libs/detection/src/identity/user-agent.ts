/**
 * What the login-risk score and the new-device detector need from a User-Agent header: browser,
 * operating system and device type, the way Wiefling et al. split the feature. A small parser on
 * purpose (no dependency, no regex per known product): it recognises the browsers and systems that
 * make up nearly all logins — Edge, Opera, Samsung Internet, Firefox, Chrome, Safari; Windows,
 * macOS, iOS/iPadOS, Android, Chrome OS, Linux — plus common scripted clients and crawlers.
 *
 * Limits, stated: versions are the major version only (`Chrome 120`), so a monthly browser update
 * does not look like a new browser; Windows 11 says `Windows NT 10.0` and is reported as Windows 10;
 * Chrome and Edge freeze the macOS version at 10.15.7 and Android at 10 in reduced UA strings;
 * iPadOS 13+ asks for the desktop site and reads as macOS desktop; anything else is `Other`.
 */
export interface ParsedUserAgent {
  /** Family and major version: `Chrome 120`, `Firefox 121`, `curl 8`; `Other` when unknown. */
  browser: string;
  /** Family and version as far as the string tells: `Windows 10`, `iOS 17.1`, `Android 14`; `Other`. */
  os: string;
  device: DeviceType;
}

export type DeviceType = 'desktop' | 'mobile' | 'tablet' | 'bot' | 'unknown';

/** First match wins: order matters (Edge and Opera also say Chrome; Chrome also says Safari). */
const BROWSERS: ReadonlyArray<readonly [family: string, token: RegExp]> = [
  ['Edge', /\b(?:Edg|Edge|EdgA|EdgiOS)\/(\d+)/],
  ['Opera', /\b(?:OPR|Opera)\/(\d+)/],
  ['Samsung Internet', /\bSamsungBrowser\/(\d+)/],
  ['Firefox', /\b(?:Firefox|FxiOS)\/(\d+)/],
  ['Chrome', /\b(?:Chrome|CriOS)\/(\d+)/],
  ['Safari', /\bVersion\/(\d+)[.\d]* (?:Mobile\/\S+ )?Safari\//],
  ['curl', /^curl\/(\d+)/],
  ['Wget', /^Wget\/(\d+)/],
  ['Python Requests', /^python-requests\/(\d+)/],
  ['Go HTTP client', /^Go-http-client\/(\d+)/],
  ['OkHttp', /^okhttp\/(\d+)/],
];

const BOT = /bot\b|crawler|spider|slurp|facebookexternalhit/i;

const WINDOWS_NT: Readonly<Record<string, string>> = { '10.0': '10', '6.3': '8.1', '6.2': '8', '6.1': '7', '6.0': 'Vista', '5.1': 'XP' };

/**
 * Parsed user agents by their text. Real traffic repeats a few hundred user agents, and every
 * successful login reads its own twice (new device, login risk): a dozen regular expressions per
 * read otherwise. Bounded: when full it starts over, so a flood of unique strings costs memory
 * once, not forever.
 */
const PARSED = new Map<string, { parsed: ParsedUserAgent; hash: string }>();
const MAX_PARSED = 4_096;

function read(ua: string): { parsed: ParsedUserAgent; hash: string } {
  let entry = PARSED.get(ua);
  if (entry === undefined) {
    if (PARSED.size >= MAX_PARSED) PARSED.clear();
    entry = { parsed: Object.freeze({ browser: browserOf(ua), os: osOf(ua), device: deviceOf(ua) }), hash: shortHash(ua) };
    PARSED.set(ua, entry);
  }
  return entry;
}

export function parseUserAgent(ua: string): ParsedUserAgent {
  return read(ua).parsed;
}

/** `shortHash` of a user agent, from the same cache as `parseUserAgent`. */
export function userAgentHash(ua: string): string {
  return read(ua).hash;
}

function browserOf(ua: string): string {
  for (const [family, token] of BROWSERS) {
    const match = token.exec(ua);
    if (match) return `${family} ${match[1] as string}`;
  }
  return 'Other';
}

function osOf(ua: string): string {
  let m = /Windows NT (\d+\.\d+)/.exec(ua);
  if (m) return `Windows ${WINDOWS_NT[m[1] as string] ?? (m[1])}`;
  m = /(?:iPhone|CPU) OS (\d+)(?:_(\d+))?/.exec(ua);
  if (m) return `iOS ${m[1] as string}${m[2] ? `.${m[2]}` : ''}`;
  m = /Mac OS X (\d+)[_.](\d+)/.exec(ua);
  if (m) return `macOS ${m[1] as string}.${m[2] as string}`;
  m = /Android (\d+(?:\.\d+)?)/.exec(ua);
  if (m) return `Android ${m[1] as string}`;
  if (/\bCrOS\b/.test(ua)) return 'Chrome OS';
  if (/\bLinux\b/.test(ua)) return 'Linux';
  return 'Other';
}

function deviceOf(ua: string): DeviceType {
  if (BOT.test(ua)) return 'bot';
  if (/\biPad\b|\bTablet\b/.test(ua)) return 'tablet';
  if (/\bAndroid\b/.test(ua)) return /\bMobile\b/.test(ua) ? 'mobile' : 'tablet';
  if (/\biPhone\b|\biPod\b|\bMobile\b/.test(ua)) return 'mobile';
  if (/\bWindows NT\b|\bMacintosh\b|\bCrOS\b|\bX11\b/.test(ua)) return 'desktop';
  return 'unknown';
}

/**
 * A short, stable stand-in for a long string (a whole User-Agent) as a state key field: two FNV-1a
 * 32-bit hashes with different offsets, 16 hex digits. Not for secrets; collisions are negligible at
 * the table sizes the login-risk score keeps.
 */
export function shortHash(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}
