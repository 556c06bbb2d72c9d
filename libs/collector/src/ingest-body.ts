/** One item of an ingest request, parsed or not. */
export type BodyItem = { index: number; value: unknown } | { index: number; raw: string; error: string };

export type ParsedBody = { ok: true; items: BodyItem[] } | { ok: false; error: string };

/**
 * Splits a request body into items: one JSON event, a JSON array of events, or NDJSON (one event
 * per line, blank lines ignored). A bad NDJSON line fails only itself; a body that is not JSON
 * at all fails the request.
 */
export function parseIngestBody(contentType: string, body: string): ParsedBody {
  if (contentType === 'application/x-ndjson') {
    const items: BodyItem[] = [];
    body.split('\n').forEach((line, lineNo) => {
      const trimmed = line.trim();
      if (!trimmed) return;
      const index = items.length;
      try {
        items.push({ index, value: JSON.parse(trimmed) as unknown });
      } catch {
        items.push({ index, raw: trimmed, error: `line ${lineNo + 1}: is not JSON` });
      }
    });
    if (items.length === 0) return { ok: false, error: 'the body holds no event' };
    return { ok: true, items };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body) as unknown;
  } catch {
    // Not echoing the parser's message: it quotes the start of the body back.
    return { ok: false, error: 'the body is not JSON: send one event, a JSON array of events, or NDJSON as application/x-ndjson' };
  }
  if (Array.isArray(parsed)) {
    if (parsed.length === 0) return { ok: false, error: 'the body holds no event' };
    return { ok: true, items: (parsed as unknown[]).map((value, index) => ({ index, value })) };
  }
  return { ok: true, items: [{ index: 0, value: parsed }] };
}

/** The media types the ingest endpoint takes, without parameters. */
export const INGEST_MEDIA_TYPES = ['application/json', 'application/x-ndjson'] as const;

export function mediaTypeOf(header: string | undefined): string {
  return (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** Text framing for line formats (access logs): one record per non-blank line, `\r\n` tolerated. */
export function parseLineBody(body: string): ParsedBody {
  const items: BodyItem[] = [];
  for (const line of body.split('\n')) {
    const raw = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (raw.trim() !== '') items.push({ index: items.length, value: raw });
  }
  return items.length > 0 ? { ok: true, items } : { ok: false, error: 'the body holds no record' };
}
