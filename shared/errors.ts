/**
 * The one error catalogue. Every error a client can see, over WebSocket or HTTP,
 * has a stable `code` from this table. Clients branch on `code` and `retryable`,
 * never on `message`, which is for humans and may change.
 *
 * - `http`: the status an HTTP endpoint answers with (problem+json body).
 * - `close`: the WebSocket close code when this error ends a connection;
 *   `null` means the error is reported with an `error` frame and the socket stays open.
 * - `retryable`: the same request may succeed later without change
 *   (after `retryAfterMs` when the frame carries one).
 */
export interface ErrorSpec {
  readonly message: string;
  readonly retryable: boolean;
  readonly http: number;
  readonly close: number | null;
}

/**
 * The WebSocket close codes the catalogue uses (RFC 6455 §7.4.1). Code reads
 * them through the catalogue (`ERRORS[code].close`), never from here: a close
 * is always the consequence of a catalogue error. Some endings carry no close
 * frame at all, and clients see 1006: a frame above GATEWAY_MAX_PAYLOAD_BYTES,
 * the idle timeout, a slow reader over GATEWAY_MAX_BACKPRESSURE_BYTES, invalid
 * UTF-8 in a text frame (uWS drops the connection in each case).
 */
const CloseCode = {
  normal: 1000,
  /** Policy violation: the session was revoked, or the socket abused a limit. */
  policy: 1008,
  /** Gateway is draining (deploy, scale-in). Reconnect, possibly to another gateway. */
  restarting: 1012,
  /** The gateway could not set the socket up (e.g. Redis unavailable). Reconnect with backoff. */
  tryAgainLater: 1013,
} as const;

/** `close` keeps its literal type, so the codes that end a connection are known to the compiler (ClosingErrorCode). */
const spec = <C extends number | null = null>(message: string, http: number, retryable = false, close: C = null as C): ErrorSpec & { readonly close: C } => ({
  message,
  http,
  retryable,
  close,
});

export const ERRORS = {
  // --- request shape ---
  bad_request: spec('The request is malformed or fails validation', 400),
  bad_frame: spec('The frame is not valid JSON or does not match the protocol', 400),
  unknown_frame_type: spec('The frame type is not known to this server', 400),
  frame_too_large: spec('The frame exceeds the configured frame size limit', 413),
  message_too_large: spec('The message body exceeds the configured message size limit', 413),
  bad_resume: spec('The resume request is not valid: a position is ahead of the room, or the socket cannot resume now', 400),
  not_found: spec('No such resource', 404),
  payload_too_large: spec('The request body exceeds the configured limit', 413),
  range_not_satisfiable: spec('The requested byte range is outside the file', 416),
  unsupported_media_type: spec('The request body must be application/json', 415),

  // --- identity ---
  unauthorized: spec('Missing, invalid or expired access token', 401),
  invalid_credentials: spec('Unknown username or wrong password', 401),
  session_revoked: spec('The session has been logged out or revoked', 401, false, CloseCode.policy),
  refresh_token_invalid: spec('The refresh token is unknown or expired', 401),
  refresh_token_reused: spec('The refresh token was already used; the session has been revoked', 401),
  username_taken: spec('That username is already registered', 409),

  // --- rooms and messages ---
  room_not_found: spec('No such room, or you are not a member of it', 404),
  message_not_found: spec('No such message in this room (or it was deleted)', 404),
  user_not_found: spec('No such user', 404),
  invite_not_found: spec('You have no pending invitation to this room', 404),
  forbidden: spec('Your role in this room does not allow that', 403),
  banned: spec('You are banned from this room', 403),
  room_name_taken: spec('A public room with that name already exists', 409),
  already_member: spec('The user is already a member of this room', 409),
  owner_must_transfer: spec('The owner must transfer ownership before leaving', 409),
  member_not_found: spec('That user is not a member of this room', 404),

  // --- capacity and availability ---
  /** Over a rate limit: wait `retryAfterMs`. A socket that keeps going is closed with 1008. */
  rate_limited: spec('Too many requests; slow down', 429, true),
  /** Refused by a rate limit GATEWAY_ABUSE_REJECTIONS times in a row: the socket is closed. */
  rate_limit_abuse: spec('Rate limits were exceeded repeatedly; the connection is closed', 429, false, CloseCode.policy),
  too_many_connections: spec('This gateway is at its connection limit', 503, true),
  overloaded: spec('The server is temporarily over capacity; retry later', 503, true),
  unavailable: spec('A backing service is unavailable; retry later', 503, true, CloseCode.tryAgainLater),
  shutting_down: spec('The server is restarting; reconnect', 503, true, CloseCode.restarting),
  internal: spec('Internal server error', 500, true),
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** The codes that end a WebSocket connection: those with a close code in the catalogue. */
export type ClosingErrorCode = { [K in ErrorCode]: (typeof ERRORS)[K]['close'] extends number ? K : never }[ErrorCode];

/** The WebSocket close code of an error that ends a connection. */
export function closeCodeOf(code: ClosingErrorCode): number {
  return ERRORS[code].close as number;
}

export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];

/**
 * An error that carries a catalogue code. Library code throws these; the HTTP
 * layer and the gateway turn them into problem+json bodies and error frames.
 */
export class ParleyError extends Error {
  readonly code: ErrorCode;
  readonly spec: ErrorSpec;
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message?: string, options?: { cause?: unknown; retryAfterMs?: number }) {
    super(message ?? ERRORS[code].message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ParleyError';
    this.code = code;
    this.spec = ERRORS[code];
    this.retryAfterMs = options?.retryAfterMs;
  }
}

export function isParleyError(err: unknown): err is ParleyError {
  return err instanceof ParleyError;
}

/** URI used as the problem+json `type` for a code (RFC 9457 §3.1.1). */
export function problemType(code: ErrorCode): string {
  return `urn:parley:error:${code}`;
}
