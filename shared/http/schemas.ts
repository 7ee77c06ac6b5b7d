/**
 * Request and response bodies of the HTTP api. The api validates with these
 * (Fastify + TypeBox) and tests and clients import them, so the contract has
 * one definition.
 */
import Type, { type Static } from 'typebox';
import { Announcement, ChatMessage, PresenceStatus, RoomRole, SeqRange, UserRef, Uuid, Visibility } from '../protocol/frames.js';
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
  /**
   * Seq ranges (inclusive), overlapping this page's span (its lowest seq, or
   * 1 when it is the last page, up to `before` - 1), that hold no message:
   * seqs skipped when Redis lost data, whose acked messages (if any) were lost
   * with it. A message the page does return wins over a gap covering it. Stop
   * looking for the rest; lowest first, usually empty.
   */
  gaps: Type.Array(SeqRange),
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

// ---------------------------------------------------------------- rooms and membership

/**
 * Text that is trimmed before use: optional surrounding spaces, then 1..max
 * characters (code points) that start and end with a non-space. No control
 * characters anywhere, tabs and newlines included.
 */
const trimmedText = (max: number, description: string) =>
  Type.String({
    pattern: `^[^\\S\\p{Cc}]*(?=\\S)[^\\p{Cc}]{1,${max}}(?<=\\S)[^\\S\\p{Cc}]*$`,
    description,
  });

export const RoomName = trimmedText(64, '1–64 characters after trimming surrounding spaces; no control characters');
export const RoomTopic = Type.String({
  maxLength: 256,
  pattern: '^[^\\p{Cc}]*$',
  description: '0–256 characters, trimmed; no control characters',
});
export const BanReason = Type.String({ maxLength: 256, pattern: '^[^\\p{Cc}]*$', description: '0–256 characters; no control characters' });
export const RoomKind = Type.Enum(['global', 'public', 'private', 'dm']);
export { RoomRole, UserRef, Visibility };

export const Room = Type.Object(
  {
    id: Uuid,
    kind: RoomKind,
    /** For a DM, the other user's username. */
    name: Type.String(),
    topic: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
    memberCount: Type.Integer({ minimum: 0 }),
    /** DMs only: the other user (absent if their account was deleted). */
    peer: Type.Optional(UserRef),
  },
  { additionalProperties: false },
);
export type Room = Static<typeof Room>;

/** A room the caller is a member of, with their role. */
export const MyRoom = Type.Object(
  {
    ...Room.properties,
    role: RoomRole,
    /** Messages after my read position (`PUT /v1/rooms/{id}/read`): the room's current seq minus my last-read seq. */
    unread: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type MyRoom = Static<typeof MyRoom>;

/** An opaque page position; pass back `nextCursor` unchanged. */
export const Cursor = Type.String({ minLength: 1, maxLength: 1024, pattern: '^[A-Za-z0-9_-]+$' });
const NextCursor = Type.Union([Cursor, Type.Null()], { description: 'Pass as `cursor` for the next page; null when there is none' });
const Limit = Type.Integer({ minimum: 1, maximum: 100, default: 50 });

export const PageQuery = Type.Object({ limit: Limit, cursor: Type.Optional(Cursor) }, { additionalProperties: false });

export const PublicRoomsQuery = Type.Object(
  {
    /** Fuzzy match on the name (trigram similarity or prefix); blank means no filter. */
    q: Type.Optional(Type.String({ maxLength: 64, pattern: '^[^\\p{Cc}]*$' })),
    limit: Limit,
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

export const MyRoomsResponse = Type.Object({ rooms: Type.Array(MyRoom), nextCursor: NextCursor });
export type MyRoomsResponse = Static<typeof MyRoomsResponse>;
export const RoomsResponse = Type.Object({ rooms: Type.Array(Room), nextCursor: NextCursor });
export type RoomsResponse = Static<typeof RoomsResponse>;

export const CreateRoomRequest = Type.Object(
  { name: RoomName, topic: Type.Optional(RoomTopic), visibility: Visibility },
  { additionalProperties: false },
);
export type CreateRoomRequest = Static<typeof CreateRoomRequest>;
export const UpdateRoomRequest = Type.Object(
  { name: Type.Optional(RoomName), topic: Type.Optional(RoomTopic), visibility: Type.Optional(Visibility) },
  { additionalProperties: false, minProperties: 1 },
);

export const Member = Type.Object(
  {
    user: UserRef,
    role: RoomRole,
    joinedAt: Type.String({ format: 'date-time' }),
    /** The seq up to which this member has read (0: nothing yet). */
    lastReadSeq: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type Member = Static<typeof Member>;
export const MembersResponse = Type.Object({ members: Type.Array(Member), nextCursor: NextCursor });
export type MembersResponse = Static<typeof MembersResponse>;

export const MemberParams = Type.Object({ id: Uuid, userId: Uuid });
export const UsernameRequest = Type.Object({ username: Username }, { additionalProperties: false });
export const SetRoleRequest = Type.Object({ role: RoomRole }, { additionalProperties: false });
export const BanRequest = Type.Object({ reason: Type.Optional(BanReason) }, { additionalProperties: false });

export const Invite = Type.Object(
  {
    room: Room,
    user: UserRef,
    /** Null once the inviter's account is deleted. */
    invitedBy: Type.Union([UserRef, Type.Null()]),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);
export type Invite = Static<typeof Invite>;
export const InvitesResponse = Type.Object({ invites: Type.Array(Invite) });
export type InvitesResponse = Static<typeof InvitesResponse>;

export const Ban = Type.Object(
  {
    user: UserRef,
    bannedBy: Type.Union([UserRef, Type.Null()]),
    reason: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);
export type Ban = Static<typeof Ban>;
export const BansResponse = Type.Object({ bans: Type.Array(Ban) });
export type BansResponse = Static<typeof BansResponse>;

/** The body of a 204 answer. */
export const NoContent = Type.Null({ description: 'No content' });

// ---------------------------------------------------------------- search

export const SearchQuery = Type.Object(
  {
    q: Type.String({
      minLength: 1,
      maxLength: 200,
      // At least one non-space; no control characters (NUL cannot even reach Postgres).
      pattern: '^[^\\p{Cc}]*[^\\s\\p{Cc}][^\\p{Cc}]*$',
      description:
        'Web-search syntax (websearch_to_tsquery, no stemming): words are ANDed, "quoted phrase", `or`, `-word` excludes',
    }),
    /** Only this room; it must be one the caller may read (a member, or anyone not banned for a public room). */
    room: Type.Optional(Uuid),
    limit: Type.Integer({ minimum: 1, maximum: 50, default: 20 }),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

export const SearchHit = Type.Object(
  {
    ...ChatMessage.properties,
    /** Up to two fragments of the body with matches wrapped in `<mark>…</mark>`; the body is not HTML-escaped. */
    snippet: Type.String(),
    /** The room's name; for a DM, the other user's username. */
    roomName: Type.String(),
    roomKind: RoomKind,
  },
  { additionalProperties: false },
);
export type SearchHit = Static<typeof SearchHit>;
export const SearchResponse = Type.Object({
  /** Best match first; equal ranks newest first. */
  results: Type.Array(SearchHit),
  nextCursor: NextCursor,
});
export type SearchResponse = Static<typeof SearchResponse>;

// ---------------------------------------------------------------- read positions

export const ReadRequest = Type.Object(
  { seq: Type.Integer({ minimum: 0, description: 'The seq read up to; at most the room\'s current seq' }) },
  { additionalProperties: false },
);
export const ReadPosition = Type.Object(
  {
    room: Uuid,
    /** The read position after the request: it never moves backwards, so it may be above the seq sent. */
    seq: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type ReadPosition = Static<typeof ReadPosition>;

// ---------------------------------------------------------------- announcements

export { Announcement };
export const AnnouncementRequest = Type.Object(
  { body: Type.String({ minLength: 1, maxLength: 4000, pattern: '^[^\\u0000]*$', description: '1–4000 characters; no NUL' }) },
  { additionalProperties: false },
);
export const AnnouncementsResponse = Type.Object({
  /** Newest first. */
  announcements: Type.Array(Announcement),
  nextCursor: NextCursor,
});
export type AnnouncementsResponse = Static<typeof AnnouncementsResponse>;

// ---------------------------------------------------------------- presence

export { PresenceStatus };

/** A user's presence as any authenticated user may read it (presence is not secret within a deployment). */
export const PresenceEntry = Type.Object(
  {
    userId: Uuid,
    online: Type.Boolean(),
    /** When the user went offline, or came online if online now; null if never seen (or no such user). */
    lastSeen: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    status: Type.Union([PresenceStatus, Type.Null()]),
  },
  { additionalProperties: false },
);
export type PresenceEntry = Static<typeof PresenceEntry>;

export const PresenceQuery = Type.Object(
  {
    user: Type.Array(Uuid, {
      minItems: 1,
      maxItems: 200,
      description: 'User ids, repeated: `?user=<id>&user=<id>`; 1–200 of them',
    }),
  },
  { additionalProperties: false },
);
export const PresenceResponse = Type.Object({
  /** One per requested id, in request order. */
  users: Type.Array(PresenceEntry),
});
export type PresenceResponse = Static<typeof PresenceResponse>;

export const OnlineMember = Type.Object(
  {
    user: UserRef,
    role: RoomRole,
    status: Type.Union([PresenceStatus, Type.Null()]),
    /** When the member came online. */
    since: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);
export type OnlineMember = Static<typeof OnlineMember>;
export const RoomPresenceResponse = Type.Object({
  /** Online members in join order; may hold fewer than `limit` (even none) while `nextCursor` is non-null. */
  members: Type.Array(OnlineMember),
  nextCursor: Type.Union([Cursor, Type.Null()], {
    description: 'Continues the scan of the room\'s members; null when every member was scanned',
  }),
});
export type RoomPresenceResponse = Static<typeof RoomPresenceResponse>;

export const OnlineUser = Type.Object(
  {
    user: UserRef,
    /** When the user came online. */
    since: Type.String({ format: 'date-time' }),
    status: Type.Union([PresenceStatus, Type.Null()]),
  },
  { additionalProperties: false },
);
export type OnlineUser = Static<typeof OnlineUser>;
export const OnlineResponse = Type.Object({
  /** Users online now across the deployment. */
  total: Type.Integer({ minimum: 0 }),
  /** Oldest online first. */
  users: Type.Array(OnlineUser),
  nextCursor: NextCursor,
});
export type OnlineResponse = Static<typeof OnlineResponse>;

export const SetStatusRequest = Type.Object(
  {
    text: Type.String({
      maxLength: 80,
      pattern: '^[^\\p{Cc}]*$',
      description: '0–80 characters, trimmed; no control characters. Empty clears the text',
    }),
    away: Type.Boolean(),
  },
  { additionalProperties: false },
);
export const StatusResponse = Type.Object({
  /** The status afterwards; null when it was cleared (empty text and not away). */
  status: Type.Union([PresenceStatus, Type.Null()]),
});
export type StatusResponse = Static<typeof StatusResponse>;

// ---------------------------------------------------------------- web client

/** `GET /config.json`: what the web client needs at run time, so one build serves any deployment. */
export const WebClientConfig = Type.Object({
  /** The gateway WebSocket URL to connect to (API_PUBLIC_WS_URL, or the page's origin with /v1/ws). */
  wsUrl: Type.String(),
});
export type WebClientConfig = Static<typeof WebClientConfig>;
