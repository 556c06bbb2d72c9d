import type { CheckRequest } from '@ratchet/chains';

/**
 * The SPIFFE id of the client certificate a proxy reports in `x-forwarded-client-cert` (Envoy's
 * XFCC: `By=…;Hash=…;URI=spiffe://…`, one comma-separated element per hop, the last added by
 * the proxy in front of us). Undefined when there is none or it is not a SPIFFE id.
 */
export function principalFromXfcc(header: string | readonly string[] | undefined): string | undefined {
  const value = typeof header === 'string' ? header : header?.join(',');
  if (!value) return undefined;
  const elements = splitOutsideQuotes(value, ',');
  const last = elements.at(-1) ?? '';
  for (const pair of splitOutsideQuotes(last, ';')) {
    const at = pair.indexOf('=');
    if (at < 0 || pair.slice(0, at).trim().toLowerCase() !== 'uri') continue;
    const uri = unquote(pair.slice(at + 1).trim());
    if (uri.startsWith('spiffe://')) return uri;
  }
  return undefined;
}

/** Splits on `separator` except inside double quotes (XFCC quotes values holding `,;=`). */
function splitOutsideQuotes(value: string, separator: string): string[] {
  const parts: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\' && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (c === separator && !quoted) {
      parts.push(value.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(value.slice(start));
  return parts.map((p) => p.trim()).filter(Boolean);
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1).replace(/\\(.)/g, '$1') : value;
}

/** A header's first value; undefined when absent or empty. */
export function headerValue(headers: Readonly<Record<string, string | string[] | undefined>>, name: string): string | undefined {
  const value = headers[name];
  const first = typeof value === 'string' ? value : value?.[0];
  return first === undefined || first.trim() === '' ? undefined : first.trim();
}

/** Drops absent optional fields, as `exactOptionalPropertyTypes` wants. */
export function checkRequest(fields: { clientIp: string; path: string; method: string; principal?: string | undefined; subject?: string | undefined; host?: string | undefined }): CheckRequest {
  const check: CheckRequest = { clientIp: fields.clientIp, path: fields.path, method: fields.method };
  if (fields.principal) check.principal = fields.principal;
  if (fields.subject) check.subject = fields.subject;
  if (fields.host) check.host = fields.host;
  return check;
}
