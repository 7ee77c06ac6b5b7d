/**
 * RFC 9457 problem details for a catalogue code: the one way any parley HTTP
 * answer (api routes, gateway upgrade refusals) describes an error.
 */
import { ERRORS, problemType, type ErrorCode } from '../errors.js';
import type { Problem } from './schemas.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export function problem(code: ErrorCode, detail?: string, extra: Partial<Problem> = {}): Problem {
  const spec = ERRORS[code];
  return {
    type: problemType(code),
    title: spec.message,
    status: spec.http,
    detail: detail ?? spec.message,
    code,
    retryable: spec.retryable,
    ...extra,
  };
}
