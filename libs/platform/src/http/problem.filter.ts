import { ArgumentsHost, Catch, HttpException, Logger, type ExceptionFilter } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { FastifyReply } from 'fastify';

/** A problem detail (RFC 9457) with the field-level errors behind it. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: unknown;
}

export class ProblemException extends HttpException {
  constructor(problem: Problem) {
    super(problem, problem.status);
  }
}

/** Answers every HTTP error as application/problem+json; never leaks internals of a 500. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly log = new Logger('http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const problem = toProblem(exception);
    if (problem.status >= 500) this.log.error(exception instanceof Error ? exception.stack : String(exception));
    void reply.status(problem.status).header('content-type', 'application/problem+json').send(problem);
  }
}

function toProblem(exception: unknown): Problem {
  if (exception instanceof ProblemException) return exception.getResponse() as Problem;
  const fastifyError = exception as { statusCode?: number; code?: string; message?: string };
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    const detail = typeof response === 'string' ? response : ((response as { message?: unknown }).message ?? exception.message);
    return { type: 'about:blank', title: STATUS_CODES[status] ?? 'Error', status, detail: Array.isArray(detail) ? detail.join('; ') : typeof detail === 'string' ? detail : JSON.stringify(detail) };
  }
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode < 500) {
    return { type: `https://ratchet.dev/problems/${(fastifyError.code ?? 'bad-request').toLowerCase()}`, title: STATUS_CODES[fastifyError.statusCode] ?? 'Bad Request', status: fastifyError.statusCode, detail: fastifyError.message ?? '' };
  }
  return { type: 'about:blank', title: 'Internal Server Error', status: 500, detail: 'the request could not be handled; see the service log' };
}
