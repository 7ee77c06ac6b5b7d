/**
 * Every HTTP error leaves as RFC 9457 problem+json carrying a catalogue code.
 * Unknown errors are logged and answered as `internal` without details.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ParleyError, type ErrorCode } from '../../shared/errors.js';
import type { Problem } from '../../shared/http/schemas.js';
import { PROBLEM_CONTENT_TYPE, problem } from '../../shared/http/problem.js';

export function sendProblem(reply: FastifyReply, body: Problem, retryAfterMs?: number): FastifyReply {
  if (retryAfterMs !== undefined) reply.header('retry-after', Math.max(1, Math.ceil(retryAfterMs / 1000)));
  return reply.code(body.status).type(PROBLEM_CONTENT_TYPE).send(body);
}

/** Fastify's own 4xx errors, mapped to catalogue codes. */
function codeForStatus(status: number): ErrorCode {
  if (status === 404) return 'not_found';
  if (status === 413) return 'payload_too_large';
  if (status === 415) return 'unsupported_media_type';
  return 'bad_request';
}

/**
 * Connection-level failures (postgres.js client codes, Postgres "cannot
 * accept connections now" classes) and statements Postgres cancelled after
 * DATABASE_STATEMENT_TIMEOUT_MS (57014, e.g. waiting on a locked table): the
 * request may succeed on retry, so they are `unavailable` (503), not `internal`.
 */
const UNAVAILABLE_CODES = new Set([
  '57014',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);

/** ioredis's failures carry no code: a command timeout, retries exhausted, a closed connection. */
const REDIS_FAILURES = /^(Command timed out|Connection is closed|Reached the max retries per request limit)/;

function isDependencyFailure(error: Error): boolean {
  return UNAVAILABLE_CODES.has(String((error as { code?: unknown }).code)) || REDIS_FAILURES.test(error.message);
}

export function errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof ParleyError) {
    if (error.spec.http >= 500) request.log.warn({ err: error, code: error.code }, 'request failed');
    return sendProblem(reply, problem(error.code, error.message, { instance: request.url }), error.retryAfterMs);
  }
  if (error.validation) {
    const errors = error.validation.map((v) => ({
      // A JSON Pointer into the request: /body/username, /querystring/limit.
      path: `/${error.validationContext ?? ''}${v.instancePath}`,
      message: v.message ?? 'is invalid',
    }));
    const detail = errors.map((e) => `${e.path} ${e.message}`).join('; ');
    return sendProblem(reply, problem('bad_request', detail, { errors, instance: request.url }));
  }
  if (isDependencyFailure(error)) {
    request.log.warn({ err: error }, 'backing service unavailable');
    return sendProblem(reply, problem('unavailable', undefined, { instance: request.url }), 1000);
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    return sendProblem(reply, problem(codeForStatus(status), error.message, { instance: request.url }));
  }
  request.log.error({ err: error }, 'unhandled error');
  return sendProblem(reply, problem('internal', undefined, { instance: request.url }));
}

/**
 * A 400 that looks exactly like a schema validation failure (problem with
 * `errors`), for checks a schema cannot express: a cursor that does not
 * decode, a DM to oneself.
 */
export function invalidRequest(context: 'body' | 'querystring' | 'params', path: string, message: string): Error {
  return Object.assign(new Error(`/${context}${path} ${message}`), {
    statusCode: 400,
    validationContext: context,
    validation: [{ instancePath: path, message }],
  });
}
