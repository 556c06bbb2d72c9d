import { Controller, HttpCode, HttpStatus, Inject, Post, Req } from '@nestjs/common';
import { context } from '@opentelemetry/api';
import type { FastifyRequest } from 'fastify';
import { DEAD_LETTER_REASONS } from '@ratchet/contracts';
import { canonicalParser } from '@ratchet/sources';
import { extractTraceHeaders, inSpan, ProblemException } from '@ratchet/platform';
import { INGEST_MEDIA_TYPES, mediaTypeOf, parseIngestBody } from './ingest-body';
import { IngestService, type IngestResult } from './ingest.service';

const SOURCE = canonicalParser.id;

/** POST /v1/events: one canonical event, a JSON array of them, or NDJSON. */
@Controller('v1/events')
export class EventsController {
  constructor(@Inject(IngestService) private readonly ingest: IngestService) {}

  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  async post(@Req() request: FastifyRequest): Promise<Omit<IngestResult, 'ignored'>> {
    const mediaType = mediaTypeOf(request.headers['content-type']);
    if (!(INGEST_MEDIA_TYPES as readonly string[]).includes(mediaType)) {
      throw new ProblemException({
        type: 'https://ratchet.dev/problems/unsupported-media-type',
        title: 'Unsupported Media Type',
        status: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
        detail: `content-type must be ${INGEST_MEDIA_TYPES.join(' or ')}, not "${mediaType || '(none)'}"`,
      });
    }
    const body = typeof request.body === 'string' ? request.body : '';
    const parsed = parseIngestBody(mediaType, body);
    if (!parsed.ok) {
      await this.ingest.deadLetterBody(body, DEAD_LETTER_REASONS.unparsable, parsed.error, SOURCE);
      throw new ProblemException({ type: 'https://ratchet.dev/problems/unparsable-body', title: 'Bad Request', status: HttpStatus.BAD_REQUEST, detail: parsed.error });
    }
    const parent = extractTraceHeaders(request.headers as Record<string, string>);
    const result = await inSpan('collector.ingest', parent ?? context.active(), async (span, ctx) => {
      span.setAttribute('ratchet.events', parsed.items.length);
      return this.ingest.ingest(parsed.items, canonicalParser, ctx);
    });
    if (result.accepted === 0) {
      throw new ProblemException({
        type: 'https://ratchet.dev/problems/invalid-events',
        title: 'Unprocessable Content',
        status: HttpStatus.UNPROCESSABLE_ENTITY,
        detail: `no valid event: ${result.rejected[0]?.errors.join('; ') ?? 'nothing to ingest'}`,
        errors: result.rejected,
      });
    }
    return { accepted: result.accepted, rejected: result.rejected };
  }
}
