/**
 * Request and response bodies of the HTTP api. The api validates with these
 * (Fastify + TypeBox) and tests and clients import them, so the contract has
 * one definition.
 */
import Type, { type Static } from 'typebox';
import { ChatMessage, Uuid } from '../protocol/frames.js';
import { ERROR_CODES } from '../errors.js';

export const Username = Type.String({
  minLength: 3,
  maxLength: 32,
  pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]*$',
  description: '3–32 characters: letters, digits, underscore, dot, dash; not starting with dot or dash',
});
/** OWASP: at least 8 characters, and long passphrases must be allowed. */
export const Password = Type.String({ minLength: 8, maxLength: 256 });

export const Credentials = Type.Object({ username: Username, password: Password }, { additionalProperties: false });
export type Credentials = Static<typeof Credentials>;

export const User = Type.Object({ id: Uuid, username: Type.String(), createdAt: Type.String({ format: 'date-time' }) });
export type User = Static<typeof User>;

export const RegisterResponse = Type.Object({ user: User });

export const TokenResponse = Type.Object({
  tokenType: Type.Literal('Bearer'),
  accessToken: Type.String(),
  /** Seconds until the access token expires. */
  expiresIn: Type.Integer(),
  /** Opaque, single use: exchange it at /v1/auth/refresh for a new pair. */
  refreshToken: Type.String(),
  refreshExpiresIn: Type.Integer(),
  user: User,
});
export type TokenResponse = Static<typeof TokenResponse>;

export const RefreshRequest = Type.Object(
  { refreshToken: Type.String({ minLength: 1, maxLength: 512 }) },
  { additionalProperties: false },
);

export const MeResponse = Type.Object({ user: User, sessionId: Uuid, globalRoomId: Uuid });

export const RoomParams = Type.Object({ id: Uuid });

export const HistoryQuery = Type.Object(
  {
    /** Exclusive upper bound on seq; omit for the newest page. */
    before: Type.Optional(Type.Integer({ minimum: 1 })),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
  },
  { additionalProperties: false },
);

export const HistoryResponse = Type.Object({
  /** Newest first. */
  messages: Type.Array(ChatMessage),
  /** Pass as `before` for the next, older page; null when there is none. */
  nextBefore: Type.Union([Type.Integer(), Type.Null()]),
});
export type HistoryResponse = Static<typeof HistoryResponse>;

/** RFC 9457 problem details, with parley's error `code`. */
export const Problem = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.String(),
  code: Type.Enum(ERROR_CODES),
  retryable: Type.Boolean(),
  instance: Type.Optional(Type.String()),
  errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
});
export type Problem = Static<typeof Problem>;

export const GLOBAL_ROOM_ID = '00000000-0000-4000-8000-000000000001';
