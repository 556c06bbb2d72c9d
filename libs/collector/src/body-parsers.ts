import type { FastifyInstance } from 'fastify';

/**
 * Makes Fastify hand the ingest endpoint its body as text (JSON and NDJSON alike), so items are
 * parsed one by one and a bad one is refused alone. Bodies over `limitBytes` are answered 413
 * before they are read.
 */
export function registerIngestBodyParsers(fastify: FastifyInstance, limitBytes: number): void {
  fastify.removeContentTypeParser('application/json');
  fastify.removeContentTypeParser('text/plain');
  for (const type of ['application/json', 'application/x-ndjson', 'text/plain']) {
    fastify.addContentTypeParser(type, { parseAs: 'string', bodyLimit: limitBytes }, (_request, body, done) => done(null, body));
  }
}
