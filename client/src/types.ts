/**
 * The SDK's public types. Wire shapes are not restated here: they are the
 * static types of the one wire definition (shared/protocol, shared/http),
 * re-exported under the names app code uses.
 */
import type { Static } from 'typebox';
import type { ErrorCode } from '../../shared/errors.js';
import type {
  ChatMessage,
  FileRef,
  Reaction as ReactionSchema,
  RoomRole as RoomRoleSchema,
  SeqRange,
  ServerFrame,
  ServerFrameOf,
  UserRef as UserRefSchema,
  Visibility as VisibilitySchema,
  Announcement,
  PresenceStatus as PresenceStatusSchema,
} from '../../shared/protocol/frames.js';

export type { ChatMessage, FileRef, SeqRange, ServerFrame, Announcement, ErrorCode };
export type {
  AnnouncementsResponse,
  Ban,
  BansResponse,
  Invite,
  Member,
  MembersResponse,
  MyRoom,
  MyRoomsResponse,
  OnlineMember,
  OnlineResponse,
  OnlineUser,
  PresenceEntry,
  Problem,
  ReadPosition,
  Room,
  RoomPresenceResponse,
  RoomsResponse,
  SearchHit,
  SearchResponse,
  StatusResponse,
  User,
  HistoryResponse as HistoryPage,
} from '../../shared/http/schemas.js';

export type UserRef = Static<typeof UserRefSchema>;
export type RoomRole = Static<typeof RoomRoleSchema>;
export type Visibility = Static<typeof VisibilitySchema>;
export type Reaction = Static<typeof ReactionSchema>;
export type PresenceStatus = Static<typeof PresenceStatusSchema>;
/** A change to a room or its membership (the `event` frame), typed by its `event` field. */
export type RoomEvent = ServerFrameOf<'event'>;
export type RoomEventName = RoomEvent['event'];
/** Someone is typing (the server's `typing` frame). */
export type TypingIndicator = ServerFrameOf<'typing'>;
/** A member of a shared room came online, went offline or changed status (the `presence` frame). */
export type PresenceEvent = ServerFrameOf<'presence'>;
/** The limits the gateway announced in its last `welcome`. */
export type GatewayLimits = ServerFrameOf<'welcome'>['limits'];

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface Session {
  accessToken: string;
  refreshToken: string;
  /** ms since epoch */
  accessExpiresAt: number;
  /** ms since epoch */
  refreshExpiresAt: number;
  user: { id: string; username: string };
}

/**
 * The part of a WebSocket the SDK uses: the browser's `WebSocket`, the `ws`
 * package's, or any implementation with the same shape (React Native, tests).
 */
export interface WebSocketLike {
  readonly readyState: number;
  binaryType: string;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: string, listener: (event: any) => void): void;
  removeEventListener(type: string, listener: (event: any) => void): void;
}
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

export interface ParleyClientOptions {
  /** Base URL of the api, e.g. "https://chat.example.com" or "http://127.0.0.1:8080". In a browser, default: location.origin. */
  apiUrl?: string;
  /**
   * Gateway WebSocket URL, e.g. "ws://127.0.0.1:8081/v1/ws". Default: apiUrl with ws(s):// and WS_PATH.
   * A function is called before every connection attempt with the attempt number (0 for the first
   * connection, n for the n-th reconnect since the last welcome), e.g. to rotate over gateways.
   */
  wsUrl?: string | ((attempt: number) => string);
  /** A saved session to start from (from storage). */
  session?: Session | null;
  /** Ask for multi-message `messages` frames (?batch=1). Default true (the SDK unpacks them). */
  batch?: boolean;
  /**
   * Resume after every (re)connect (?resume=1 and a `resume` frame). Default true.
   * false relies on gap detection and history alone: only for testing that path.
   */
  resume?: boolean;
  /** Reconnect backoff: delay = min(max, initial * factor^attempt) * (1 - jitter * random()). Defaults 250 ms, 15 s, 2, 0.5. */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number; factor?: number; jitter?: number };
  /** Refresh the access token this long before it expires. Default 60 s (or half its lifetime when shorter). */
  refreshMarginMs?: number;
  /** How long a live seq gap may wait for the gateway before history is read. Default 2000. */
  gapWaitMs?: number;
  /** Delay between history reads of a range that is not complete yet. Default 250. */
  historyRetryMs?: number;
  /** History reads of one range before the rest of it is skipped (and reported as 'skip'). Default 40. */
  historyAttempts?: number;
  /** How long publish() keeps retrying (across reconnects) before rejecting. Default 30 s. */
  publishTimeoutMs?: number;
  /** Injected implementations (tests, Node 20, React Native). */
  WebSocket?: WebSocketConstructor;
  fetch?: typeof fetch;
}

export interface PublishAck {
  room: string;
  cmid: string;
  id: string;
  seq: number;
  createdAt: string;
  duplicate: boolean;
}

export type StateInfo = { attempt?: number; delayMs?: number; code?: number; reason?: string };
/** Why a range is read from history: named by a `gap` frame, by `resumed.missing`, or a hole the server never named. */
export type FillReason = 'gap' | 'resumed' | 'timer';

export interface ParleyEvents {
  /** Connection state changes; with 'reconnecting', the attempt number and the delay before it. */
  state: (state: ConnectionState, info: StateInfo) => void;
  /** The gateway's welcome: the rooms this socket follows (after every (re)connect). */
  welcome: (info: { user: UserRef; rooms: string[] }) => void;
  /** Every room message exactly once, in seq order per room (live, replayed or filled from history). */
  message: (message: ChatMessage) => void;
  /** A range of a room given up on: history never had it (lost with Redis data). */
  skip: (room: string, range: SeqRange) => void;
  /** Membership/room/message events (the `event` frame), typed by its `event` field. */
  event: (event: RoomEvent) => void;
  /** Shorthands for the events about me: invited to a room, removed (kicked or banned). */
  invited: (event: RoomEvent) => void;
  /** event.event is 'member_kicked' | 'member_banned' | 'member_left' */
  removed: (event: RoomEvent) => void;
  typing: (typing: TypingIndicator) => void;
  presence: (presence: PresenceEvent) => void;
  announcement: (announcement: Announcement) => void;
  /** Tokens changed (login, refresh, logout → null): persist them. */
  session: (session: Session | null) => void;
  /** The session is over (revoked, refresh token invalid/reused/expired): the client stopped; log in again. */
  session_ended: (error: { code: ErrorCode; message: string }) => void;
  /** A non-fatal error (a refused frame without a pending promise, a failed history fill attempt, ...). */
  error: (error: Error) => void;
  /** Diagnostics: a range the client reads from history to fill a gap, and why; `done` settles when that read ends. */
  fill: (room: string, range: SeqRange, reason: FillReason, done: Promise<void>) => void;
  /** Diagnostics: every frame received from the gateway (`messages` frames unpacked), after the SDK handled it. */
  frame: (frame: ServerFrame) => void;
}

export interface UploadOptions {
  filename: string;
  filetype?: string;
  onProgress?: (sent: number, total: number) => void;
  /** Bytes per PATCH request. Default 8 MiB (required to be finite for Node streams). */
  chunkSize?: number;
}

export interface UploadHandle {
  /** Resolves when the upload completed and the file message exists in the room. */
  readonly done: Promise<void>;
  /** Pauses: stops sending; start() resumes from the server's offset. */
  abort(): Promise<void>;
  /** resume after abort()/a network failure */
  start(): void;
  /**
   * Gives the upload up: stops it and deletes what the server holds of it
   * (tus termination), at once rather than at UPLOADS_EXPIRE_MS. `done`
   * rejects with a DOMException named AbortError; start() does nothing afterwards.
   */
  cancel(): Promise<void>;
}
