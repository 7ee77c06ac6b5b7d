/**
 * Errors the SDK rejects with. Every one carries a code from the one error
 * catalogue (shared/errors.ts): apps branch on `code` and `retryable`, never
 * on `message`.
 */
import { ERRORS, type ErrorCode } from '../../shared/errors.js';
import type { Problem } from '../../shared/http/schemas.js';
import type { ServerFrameOf } from '../../shared/protocol/frames.js';

export interface ParleyRequestErrorInit {
  /** The HTTP status; null when the error did not come from an HTTP response (a frame, a network failure, a local check). */
  status?: number | null;
  retryable?: boolean;
  retryAfterMs?: number;
  problem?: Problem;
  cause?: unknown;
}

export class ParleyRequestError extends Error {
  readonly code: ErrorCode;
  readonly status: number | null;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
  readonly problem?: Problem;

  constructor(code: ErrorCode, message?: string, init: ParleyRequestErrorInit = {}) {
    super(message ?? ERRORS[code].message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'ParleyRequestError';
    this.code = code;
    this.status = init.status ?? null;
    this.retryable = init.retryable ?? ERRORS[code].retryable;
    if (init.retryAfterMs !== undefined) this.retryAfterMs = init.retryAfterMs;
    if (init.problem !== undefined) this.problem = init.problem;
  }
}

/** The session is over (logged out elsewhere, revoked, refresh token dead): log in again. */
export class SessionEndedError extends ParleyRequestError {
  constructor(code: ErrorCode, message?: string, init: ParleyRequestErrorInit = {}) {
    super(code, message, { ...init, retryable: false });
    this.name = 'SessionEndedError';
  }
}

/** The codes that mean the session cannot go on (refreshing will not help). */
export const SESSION_ENDING_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['session_revoked', 'refresh_token_invalid', 'refresh_token_reused']);

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERRORS, value);
}

/** An `error` frame as a ParleyRequestError (status null: it came over the socket). */
export function fromErrorFrame(frame: ServerFrameOf<'error'>): ParleyRequestError {
  const init: ParleyRequestErrorInit = { retryable: frame.retryable };
  if (frame.retryAfterMs !== undefined) init.retryAfterMs = frame.retryAfterMs;
  return new ParleyRequestError(frame.code, frame.message, init);
}

/** The catalogue code for an HTTP status whose body is not a parley problem (a proxy's answer, ...). */
export function codeForStatus(status: number): ErrorCode {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 413) return 'payload_too_large';
  if (status === 415) return 'unsupported_media_type';
  if (status === 416) return 'range_not_satisfiable';
  if (status === 429) return 'rate_limited';
  if (status === 500) return 'internal';
  if (status >= 500) return 'unavailable';
  return 'bad_request';
}

/** Seconds (or an HTTP date) in a Retry-After header, as ms. */
export function parseRetryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
