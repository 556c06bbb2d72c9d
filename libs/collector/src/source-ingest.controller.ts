import { Controller, HttpCode, HttpStatus, Inject, Param, Post, Req } from '@nestjs/common';
import { context } from '@opentelemetry/api';
import type { FastifyRequest } from 'fastify';
import { DEAD_LETTER_REASONS } from '@ratchet/contracts';
import { extractTraceHeaders, inSpan, ProblemException } from '@ratchet/platform';
import type { SourceCatalogue, SourceParser } from '@ratchet/sources';
import { mediaTypeOf, parseIngestBody, parseLineBody, type ParsedBody } from './ingest-body';
import { IngestService, type IngestResult } from './ingest.service';

/** What each framing takes: line formats as text, JSON formats as JSON, arrays or NDJSON. */
const MEDIA_TYPES: Readonly<Record<SourceParser['framing'], readonly string[]>> = {
  line: ['text/plain'],
  json: ['application/json', 'application/x-ndjson'],
};

/**
 * Names the run of a shipper (`ratchet ingest` sends one per run): repeats of a byte-identical line
 * are numbered across that run's requests, not only within one request.
 */
export const STREAM_HEADER = 'x-ratchet-stream';
/** The number of the request's batch in its stream; a retry sends the same number. */
export const STREAM_BATCH_HEADER = 'x-ratchet-stream-batch';
const STREAM = /^[A-Za-z0-9._:@/-]{1,128}$/;
const BATCH = /^\d{1,15}$/;

/** The stream and batch named, undefined without the headers, null when they are malformed or one is missing. */
function streamOf(name: string | string[] | undefined, batch: string | string[] | undefined): { name: string; batch: number } | undefined | null {
  if (name === undefined && batch === undefined) return undefined;
  if (typeof name !== 'string' || !STREAM.test(name) || typeof batch !== 'string' || !BATCH.test(batch)) return null;
  return { name, batch: Number(batch) };
}

/** The sources this collector reads: the built-in ones and those configured (`RATCHET_SOURCES`). */
export const SOURCE_CATALOGUE = Symbol.for('ratchet.SourceCatalogue');

/**
 * POST /v1/ingest/{source}: records in a source's own format — NGINX access lines as text/plain,
 * identity-provider events as JSON — read by that source's parser and admitted like canonical
 * events. A vendor batch the source declares (Okta event hook, Graph page, CloudTrail file …) is
 * opened and each record in it read. `202 {accepted, ignored, rejected}`; refused records go to the
 * dead-letter topic.
 */
@Controller('v1/ingest')
export class SourceIngestController {
  constructor(
    @Inject(IngestService) private readonly ingest: IngestService,
    @Inject(SOURCE_CATALOGUE) private readonly sources: SourceCatalogue,
  ) {}

  @Post(':source')
  @HttpCode(HttpStatus.ACCEPTED)
  async post(@Param('source') sourceId: string, @Req() request: FastifyRequest): Promise<IngestResult> {
    const parser = this.sources.find(sourceId);
    if (!parser) {
      throw new ProblemException({
        type: 'https://ratchet.dev/problems/unknown-source',
        title: 'Not Found',
        status: HttpStatus.NOT_FOUND,
        detail: `"${sourceId}" is not a source; known: ${this.sources.sources.map((s) => s.id).join(', ')}`,
      });
    }
    const mediaType = mediaTypeOf(request.headers['content-type']);
    const accepted = MEDIA_TYPES[parser.framing];
    if (!accepted.includes(mediaType)) {
      throw new ProblemException({
        type: 'https://ratchet.dev/problems/unsupported-media-type',
        title: 'Unsupported Media Type',
        status: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
        detail: `source ${parser.id} takes ${accepted.join(' or ')}, not "${mediaType || '(none)'}"`,
      });
    }
    const body = typeof request.body === 'string' ? request.body : '';
    const parsed: ParsedBody = parser.framing === 'line' ? parseLineBody(body) : parseIngestBody(mediaType, body);
    if (!parsed.ok) {
      await this.ingest.deadLetterBody(body, DEAD_LETTER_REASONS.unparsable, parsed.error, parser.id);
      throw new ProblemException({ type: 'https://ratchet.dev/problems/unparsable-body', title: 'Bad Request', status: HttpStatus.BAD_REQUEST, detail: parsed.error });
    }
    const stream = streamOf(request.headers[STREAM_HEADER], request.headers[STREAM_BATCH_HEADER]);
    if (stream === null) {
      throw new ProblemException({
        type: 'https://ratchet.dev/problems/invalid-header',
        title: 'Bad Request',
        status: HttpStatus.BAD_REQUEST,
        detail: `${STREAM_HEADER} must be 1 to 128 letters, digits and . _ : @ / -, and ${STREAM_BATCH_HEADER} a whole number; both or neither`,
      });
    }
    const parent = extractTraceHeaders(request.headers as Record<string, string>);
    const result = await inSpan('collector.ingest', parent ?? context.active(), async (span, ctx) => {
      span.setAttribute('ratchet.source', parser.id);
      span.setAttribute('ratchet.records', parsed.items.length);
      return this.ingest.ingest(parsed.items, parser, ctx, stream);
    });
    if (result.accepted === 0 && result.ignored === 0) {
      throw new ProblemException({
        type: 'https://ratchet.dev/problems/invalid-records',
        title: 'Unprocessable Content',
        status: HttpStatus.UNPROCESSABLE_ENTITY,
        detail: `no record could be read: ${result.rejected[0]?.errors.join('; ') ?? 'nothing to ingest'}`,
        errors: result.rejected,
      });
    }
    return result;
  }
}
