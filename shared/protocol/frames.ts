/**
 * The parley wire protocol, version 1: every frame a client or server may send.
 *
 * Frames are JSON objects in WebSocket *text* frames, discriminated by `type`.
 * These schemas are the single definition: the gateway validates with them,
 * the api reuses the message shape for history, and tests, load tests and
 * clients build and parse frames only through `codec.ts`. (The k6 scripts
 * cannot load typebox: they type their frames with the types from here and
 * serialize them with JSON.stringify, which is all `encodeClientFrame` does.)
 *
 * Rules that hold for every frame:
 * - Unknown properties are rejected (a typo must not silently do nothing).
 * - A client frame may carry `ref`; the server echoes it on the reply
 *   (`ack`, `pong`, `error`) so clients can correlate without ordering tricks.
 */
import Type, { type Static } from 'typebox';
import { ERROR_CODES } from '../errors.js';
import { PROTOCOL_VERSION } from './constants.js';

export { AUTH_SUBPROTOCOL_PREFIX, PROTOCOL_VERSION, SUBPROTOCOL, UPGRADE_OPTIONS, WS_PATH } from './constants.js';

export const Uuid = Type.String({ format: 'uuid', description: 'UUID' });
export const Ref = Type.String({ minLength: 1, maxLength: 64, description: 'Client correlation id, echoed on the reply' });
/**
 * Client message id: the idempotency key of a publish, unique per user.
 * A retry with the same cmid returns the original ack instead of a second message.
 */
export const ClientMessageId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._:-]+$' });

export const UserRef = Type.Object({ id: Uuid, username: Type.String() }, { additionalProperties: false });

/** `file`: a file shared in the room (uploaded through the api); `file` holds it, `body` its caption. */
export const MessageKind = Type.Union([Type.Literal('text'), Type.Literal('file')]);

export const FileRef = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    size: Type.Integer({ minimum: 0 }),
    contentType: Type.String(),
  },
  { additionalProperties: false },
);
export type FileRef = Static<typeof FileRef>;

/** An emoji reaction: 1–32 characters, no white space. */
export const Emoji = Type.String({ minLength: 1, maxLength: 32, pattern: '^\\S+$' });

export const Reaction = Type.Object(
  {
    emoji: Emoji,
    count: Type.Integer({ minimum: 1 }),
    /** Who reacted, earliest first (at most 25; `count` has the total). */
    users: Type.Array(Type.Object({ id: Uuid, username: Type.String() }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);

/** A chat message as clients see it, live (`message` frame) and in history. */
export const ChatMessage = Type.Object(
  {
    id: Uuid,
    room: Uuid,
    /** Position in the room: unique and increasing within the room. */
    seq: Type.Integer({ minimum: 1 }),
    kind: MessageKind,
    from: UserRef,
    body: Type.String(),
    /** With kind `file`: the file (download it at GET /v1/files/{id}). */
    file: Type.Optional(FileRef),
    cmid: ClientMessageId,
    /** ISO-8601 time the server accepted the message. */
    createdAt: Type.String({ format: 'date-time' }),
    /** Set when the message was edited (history shows the current text). */
    editedAt: Type.Optional(Type.String({ format: 'date-time' })),
    /** A deleted message is a tombstone: its seq stays, its body is empty. */
    deleted: Type.Optional(Type.Boolean()),
    /** In history: reactions with their counts, in the order first used. */
    reactions: Type.Optional(Type.Array(Reaction)),
  },
  { additionalProperties: false },
);
export type ChatMessage = Static<typeof ChatMessage>;

// ---------------------------------------------------------------- client → server

export const PublishFrame = Type.Object(
  {
    type: Type.Literal('publish'),
    ref: Type.Optional(Ref),
    room: Uuid,
    cmid: ClientMessageId,
    /**
     * Size is limited by the gateway's configured message limit, in UTF-8 bytes.
     * NUL is refused: Postgres text cannot store it, and an acked message must persist.
     */
    body: Type.String({ minLength: 1, pattern: '^[^\\u0000]*$' }),
  },
  { additionalProperties: false },
);

export const PingFrame = Type.Object(
  { type: Type.Literal('ping'), ref: Type.Optional(Ref) },
  { additionalProperties: false },
);

/**
 * Resumes rooms after a reconnect, without gaps. Only on a socket opened with
 * `?resume=1`, which holds back live room messages until this frame, and only
 * once. For each listed room the server replays every message after `after`
 * from its recent log, then sends `resumed`, then live messages, all in seq
 * order. Rooms not listed go live at once, with no replay.
 */
export const ResumeFrame = Type.Object(
  {
    type: Type.Literal('resume'),
    ref: Type.Optional(Ref),
    rooms: Type.Array(
      Type.Object(
        {
          room: Uuid,
          /** The last seq the client has for this room (0: none). */
          after: Type.Integer({ minimum: 0 }),
        },
        { additionalProperties: false },
      ),
      { maxItems: 10_000 },
    ),
  },
  { additionalProperties: false },
);

/** The user is typing in the room now. Send it again while typing continues (the server rate-limits it). */
export const TypingFrame = Type.Object(
  { type: Type.Literal('typing'), ref: Type.Optional(Ref), room: Uuid },
  { additionalProperties: false },
);

export const CLIENT_FRAMES = {
  publish: PublishFrame,
  ping: PingFrame,
  resume: ResumeFrame,
  typing: TypingFrame,
} as const;

export type PublishFrame = Static<typeof PublishFrame>;
export type PingFrame = Static<typeof PingFrame>;
export type ResumeFrame = Static<typeof ResumeFrame>;
export type ClientFrameType = keyof typeof CLIENT_FRAMES;
export type ClientFrame = { [K in ClientFrameType]: Static<(typeof CLIENT_FRAMES)[K]> }[ClientFrameType];
export type ClientFrameOf<K extends ClientFrameType> = Extract<ClientFrame, { type: K }>;

// ---------------------------------------------------------------- server → client

export const WelcomeFrame = Type.Object(
  {
    type: Type.Literal('welcome'),
    v: Type.Literal(PROTOCOL_VERSION),
    user: UserRef,
    /** Rooms this socket is subscribed to. */
    rooms: Type.Array(Uuid),
    limits: Type.Object(
      {
        maxFrameBytes: Type.Integer(),
        maxMessageBytes: Type.Integer(),
        /** The server closes a socket that sends nothing (not even a WebSocket ping) for this long. */
        idleTimeoutSeconds: Type.Integer(),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export const MessageFrame = Type.Object(
  { type: Type.Literal('message'), ...ChatMessage.properties },
  { additionalProperties: false },
);

/**
 * Several `message` frames of one room, in seq order, sent as one frame to
 * sockets that opted in with `?batch=1`; equivalent to those frames one by
 * one. Such sockets still get single `message` frames too.
 */
export const MessagesFrame = Type.Object(
  { type: Type.Literal('messages'), messages: Type.Array(ChatMessage, { minItems: 1 }) },
  { additionalProperties: false },
);

export const AckFrame = Type.Object(
  {
    type: Type.Literal('ack'),
    ref: Type.Optional(Ref),
    room: Uuid,
    cmid: ClientMessageId,
    id: Uuid,
    seq: Type.Integer({ minimum: 1 }),
    createdAt: Type.String({ format: 'date-time' }),
    /** True when this cmid was already published: nothing new was stored or delivered. */
    duplicate: Type.Boolean(),
  },
  { additionalProperties: false },
);

export const RoomRole = Type.Enum(['owner', 'admin', 'member']);
export const Visibility = Type.Enum(['public', 'private']);

/**
 * Something happened to a room or its membership. Sent to the room's members
 * on every gateway (and `member_kicked`/`member_banned` also to the affected
 * user, `invited` only to the invitee). Events are live-only: they are not
 * numbered in the room's `seq` and not stored in history.
 */
export const EventFrame = Type.Object(
  {
    type: Type.Literal('event'),
    room: Uuid,
    event: Type.Enum([
      'member_joined',
      'member_left',
      'member_kicked',
      'member_banned',
      'role_changed',
      'invited',
      'room_updated',
      'room_deleted',
      'read',
      'message_edited',
      'message_deleted',
      'reaction_added',
      'reaction_removed',
    ]),
    /** The user the event is about (for member events and `invited`). */
    user: Type.Optional(UserRef),
    /** Who caused it; absent when the user acted on their own. */
    actor: Type.Optional(UserRef),
    /** The user's role after `member_joined` / `role_changed`. */
    role: Type.Optional(RoomRole),
    /** With `read`: the member's (`user`) last-read seq; with message events: the message's seq. */
    seq: Type.Optional(Type.Integer({ minimum: 0 })),
    /** With message events: the message's id. */
    messageId: Type.Optional(Uuid),
    /** With `message_edited`: the new text. */
    body: Type.Optional(Type.String()),
    /** With `reaction_added` / `reaction_removed`. */
    emoji: Type.Optional(Emoji),
    /** The room's new settings, with `room_updated`. */
    settings: Type.Optional(
      Type.Object(
        { name: Type.String(), topic: Type.String(), visibility: Visibility },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

/** An inclusive range of a room's seqs. */
export const SeqRange = Type.Object(
  { from: Type.Integer({ minimum: 1 }), to: Type.Integer({ minimum: 1 }) },
  { additionalProperties: false },
);
export type SeqRange = Static<typeof SeqRange>;

/**
 * A room's replay is complete; the following messages of the room are live.
 * `recovered: false` means the recent log no longer reaches back to `after`:
 * the messages in `missing` (inclusive) were not replayed and must be read
 * from the history API. Every message after `missing.to` was replayed.
 */
export const ResumedFrame = Type.Object(
  {
    type: Type.Literal('resumed'),
    ref: Type.Optional(Ref),
    room: Uuid,
    recovered: Type.Boolean(),
    /** Messages replayed before this frame. */
    replayed: Type.Integer({ minimum: 0 }),
    /** The room's seq when the replay was taken: live messages follow with larger seqs. */
    seq: Type.Integer({ minimum: 0 }),
    missing: Type.Optional(SeqRange),
  },
  { additionalProperties: false },
);

/**
 * Live delivery of a room skipped `missing` (inclusive): the gateway could
 * not relay those messages (its link to Redis dropped, or Redis lost data)
 * and its recent log no longer holds them. Every later message of the room
 * still arrives, in order. Read the range from history; seqs that history
 * lists under `gaps` hold no message (they were lost with Redis's data).
 */
export const GapFrame = Type.Object(
  { type: Type.Literal('gap'), room: Uuid, missing: SeqRange },
  { additionalProperties: false },
);

export const Announcement = Type.Object(
  {
    id: Uuid,
    author: UserRef,
    body: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);
export type Announcement = Static<typeof Announcement>;

/** A server announcement, sent live to every connected socket (and the latest ones after `welcome`). */
export const AnnouncementFrame = Type.Object(
  { type: Type.Literal('announcement'), ...Announcement.properties },
  { additionalProperties: false },
);

/**
 * Someone in the room is typing. Ephemeral: never stored or replayed. Show it
 * per user (several devices of one user are one indicator) and hide it after
 * `expiresInMs` unless another arrives.
 */
export const TypingIndicatorFrame = Type.Object(
  {
    type: Type.Literal('typing'),
    room: Uuid,
    user: UserRef,
    expiresInMs: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false },
);

export const PresenceStatus = Type.Object(
  { text: Type.String({ maxLength: 80 }), away: Type.Boolean() },
  { additionalProperties: false },
);

/**
 * A member of `room` came online, went offline, or changed their status.
 * Sent per shared room (a client in two rooms with the user gets one per room).
 * Rooms with more than PRESENCE_ROOM_EVENTS_MAX_MEMBERS members get none:
 * read presence over HTTP for those.
 */
export const PresenceFrame = Type.Object(
  {
    type: Type.Literal('presence'),
    room: Uuid,
    user: UserRef,
    online: Type.Boolean(),
    status: Type.Union([PresenceStatus, Type.Null()]),
    lastSeen: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { additionalProperties: false },
);

export const PongFrame = Type.Object(
  { type: Type.Literal('pong'), ref: Type.Optional(Ref), ts: Type.Integer() },
  { additionalProperties: false },
);

export const ErrorFrame = Type.Object(
  {
    type: Type.Literal('error'),
    ref: Type.Optional(Ref),
    code: Type.Enum(ERROR_CODES),
    message: Type.String(),
    retryable: Type.Boolean(),
    retryAfterMs: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);

export const SERVER_FRAMES = {
  welcome: WelcomeFrame,
  message: MessageFrame,
  messages: MessagesFrame,
  ack: AckFrame,
  pong: PongFrame,
  event: EventFrame,
  resumed: ResumedFrame,
  gap: GapFrame,
  announcement: AnnouncementFrame,
  typing: TypingIndicatorFrame,
  presence: PresenceFrame,
  error: ErrorFrame,
} as const;

export type ServerFrameType = keyof typeof SERVER_FRAMES;
export type ServerFrame = { [K in ServerFrameType]: Static<(typeof SERVER_FRAMES)[K]> }[ServerFrameType];
export type ServerFrameOf<K extends ServerFrameType> = Extract<ServerFrame, { type: K }>;
