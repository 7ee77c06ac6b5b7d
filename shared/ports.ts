/**
 * The ports between parley's services and their backing stores. Each comment
 * is the contract an implementation must honour; callers rely on nothing else.
 */
import type { ChatMessage, FileRef } from './protocol/frames.js';
import type { ControlEvent } from './broker/control.js';
import type { Envelope } from './broker/envelope.js';

/**
 * A message to publish. `file` is required when `kind` is 'file' and must be
 * absent when it is 'text'; `body` is then the file's caption (may be empty).
 * Only the api creates file messages, after the upload is stored; clients'
 * `publish` frames are always 'text'. A file whose fields Postgres or the
 * broker could not carry faithfully (see `fileRefProblem` in
 * broker/envelope.ts) is refused before anything is written: an accepted
 * message must persist.
 */
export interface PublishInput {
  room: string;
  author: { id: string; username: string };
  cmid: string;
  kind: 'text' | 'file';
  body: string;
  file?: FileRef | undefined;
  /**
   * The highest seq the caller knows was assigned in the room (a gateway's
   * last relayed seq), 0 or absent when it knows none. A counter found below
   * it went backwards; the message is then numbered past the loss instead.
   */
  floor?: number | undefined;
}

export interface Accepted {
  id: string;
  room: string;
  seq: number;
  /** Epoch ms the message was accepted (the original's, for a duplicate). */
  acceptedAt: number;
  /** True when (room, author, cmid) was accepted before: nothing was written or delivered again. */
  duplicate: boolean;
}

/**
 * Accepts messages into rooms.
 *
 * When `publish` resolves, all of this holds, atomically (all or nothing):
 * - `seq` is the room's next number: rooms count from 1 with no repeats, ever,
 *   and a later resolution in the same room never has a smaller seq. Seqs have
 *   no gaps, except the ranges a reseed skips after Redis lost data (see
 *   SeqSeeder): those are recorded (SeqLedger) and reported as gaps;
 * - the message is in the room's recent log and in the persistence queue, so it
 *   reaches Postgres even if every gateway dies now;
 * - it was handed to live subscribers of the room, in seq order.
 * A retry with the same (room, author, cmid) within the dedup window resolves
 * with the original id and seq and `duplicate: true`.
 *
 * Rejects with ParleyError `overloaded` (persistence backlog over its bound,
 * retryable) or `unavailable` (the broker cannot be reached, retryable). On
 * these rejections the caller cannot know whether the message was accepted,
 * and must retry with the same cmid. Rejects with `bad_request`, having written
 * nothing, when `kind` and `file` disagree or the file is not storable.
 *
 * A file message's `file` travels with it everywhere a message goes: live
 * delivery, the room log (resume), Postgres and history. Dedup is by (room,
 * author, cmid) alone, for file messages as for text.
 */
export interface MessagePublisher {
  publish(input: PublishInput): Promise<Accepted>;
}

/**
 * Live room fan-out into one process. Delivery is at-most-once and, per room,
 * in seq order: messages published while this process was not subscribed, or
 * while its connection to the broker was down, are not redelivered. A
 * subscriber that must not miss any reads them from the RoomLog: after every
 * reconnect (`ControlBus.onResync`) and whenever a seq skips ahead (the
 * gateway's RoomRelay). `subscribe` resolves once deliveries have started.
 */
export interface RoomSubscriber {
  subscribe(room: string): Promise<void>;
  unsubscribe(room: string): Promise<void>;
  /** `epoch` is the Redis epoch the message's seq was assigned in (absent in entries older than epochs). */
  onMessage(handler: (message: ChatMessage, epoch: string | undefined) => void): void;
  /** Typing signals of subscribed rooms; same at-most-once delivery, never stored. */
  onTyping(handler: (signal: TypingSignal) => void): void;
}

export interface TypingSignal {
  room: string;
  user: { id: string; username: string };
  expiresInMs: number;
}

/**
 * Announces that a user is typing in a room, to every gateway with members of
 * the room. Deduplicated: within half of `expiresInMs` after an announcement,
 * further calls for the same (room, user), from any device or gateway, announce
 * nothing and resolve false.
 */
export interface TypingPublisher {
  typing(signal: TypingSignal): Promise<boolean>;
}

/** Cluster-wide control events; at-most-once, like RoomSubscriber. */
export interface ControlBus {
  publish(event: ControlEvent): Promise<void>;
  onEvent(handler: (event: ControlEvent) => void): void;
  /** Called after the bus reconnected: events may have been missed, so resynchronise. */
  onResync(handler: () => void): void;
}

export interface RoomLogSnapshot {
  /** The room's messages with seq > `after` still in the recent log, in seq order. */
  messages: ChatMessage[];
  /** The room's last assigned seq at the snapshot (0 when it has none). */
  seq: number;
  /** The oldest seq the log still holds, or null when it is empty. */
  oldest: number | null;
  /** The Redis epoch the room's counter belongs to (see SeqSeeder). */
  epoch: string;
}

/**
 * The recent, bounded log of a room's messages (the resume and repair
 * window) and the room's seq counter. This port is the one reader of those
 * Redis structures; the publisher writes them (publish.lua).
 *
 * The log holds a contiguous run of seqs ending at the counter (older entries
 * are trimmed from the front), except that a reseed after a loss (SeqSeeder)
 * empties it: it never spans a skipped range.
 */
export interface RoomLog {
  /**
   * One atomic snapshot: every message with seq ≤ `seq` that is still in the
   * window is in `messages` (when > after), and nothing newer is. When the
   * counter is missing or belongs to a lost epoch it is seeded first, so
   * `seq` is never below a seq that may have been acked; `floor` (a seq the
   * caller saw assigned, 0 for none) is a lower bound for that seeding.
   */
  since(room: string, after: number, floor?: number): Promise<RoomLogSnapshot>;
  /** Newest first: up to `limit` messages with seq < `before` (the newest when absent). */
  page(room: string, options: { before?: number | undefined; limit: number }): Promise<ChatMessage[]>;
  /** The message at `seq`, or null when the log does not hold it. */
  get(room: string, seq: number): Promise<ChatMessage | null>;
  /**
   * Each room's last assigned seq, from its counter; null when the counter is
   * missing or belongs to a lost epoch (not seeded here). One round trip.
   */
  heads(rooms: readonly string[]): Promise<Map<string, number | null>>;
}

/**
 * Where each room's counter may start in a Redis epoch, and the Redis epochs
 * seen, as recorded in a store that survives Redis (Postgres).
 */
export interface SeqLedger {
  /**
   * Records `epoch` as the partition's current one. Resolves `{previous}` when
   * this call changed the record (previous is null for the first epoch ever),
   * null when it was already recorded: exactly one caller sees each change.
   */
  recordEpoch(partition: number, epoch: string): Promise<{ previous: string | null } | null>;
  /**
   * Decides where the room's counter starts in `epoch`, atomically per room:
   * at the highest seq persisted, skipped before, still `held` in Redis, or
   * `floor` (a seq the caller saw assigned). When the room's counter was last
   * seeded in another epoch (which is gone), `margin` more seqs are skipped,
   * and everything past what is surely kept (persisted, skipped, held) is
   * recorded as a gap before this resolves: those seqs may hold lost acked
   * messages. A room seeded before in `epoch` itself, or never, skips nothing.
   */
  reserve(room: string, epoch: string, options: { margin: number; floor: number; held: number }): Promise<SeqReservation>;
  /** The room's skipped ranges that overlap [from, to], lowest first. */
  gaps(room: string, from: number, to: number): Promise<SeqGap[]>;
}

export interface SeqGap {
  /** Inclusive. */
  from: number;
  to: number;
}

export interface SeqReservation {
  /** The counter may start at no less than this. */
  base: number;
  /** The range skipped because the room's epoch was lost, or null. */
  lost: SeqGap | null;
}

export interface AppendResult {
  /** Rows newly written. */
  inserted: number;
  /** Messages already stored with the same id: redeliveries, harmless. */
  duplicates: number;
  /**
   * Messages whose (room, seq) is taken by a *different* message id. This means
   * the sequence counter went backwards (Redis lost data); these are not
   * written, and must be alerted on.
   */
  conflicts: Envelope[];
  /**
   * Messages not written because their room no longer exists (deleted while
   * they waited in the queue). Final: the room's history is gone with it, so
   * redelivery must not retry them. A missing author is not a reason to drop:
   * the message is stored without author_id, keeping author_name.
   */
  dropped: number;
}

/**
 * Durable message history (Postgres).
 * `append` is idempotent: it writes a batch in one transaction, keyed by
 * (room, seq); appending the same batch again changes nothing.
 */
export interface MessageStore {
  append(batch: readonly Envelope[]): Promise<AppendResult>;
  /** Highest persisted seq of the room, 0 when it has none. */
  maxSeq(room: string): Promise<number>;
}

export interface HistoryPage {
  /** Newest first. */
  messages: ChatMessage[];
  /** Pass as `before` to get the next (older) page; null when there is none. */
  nextBefore: number | null;
  /**
   * Seq ranges, overlapping the span from the page's lowest seq (1 when it
   * has none) up to `before` - 1, that hold no message and never will: seqs
   * skipped after Redis lost data, whose messages (if any were acked) are
   * lost. Lowest first; empty when none.
   */
  gaps: SeqGap[];
}

/**
 * Reads a room's history, newest first, by keyset pagination on seq:
 * `before` is exclusive (omit for the newest page), `limit` is 1..100.
 * Authorization is the caller's job.
 *
 * Read-your-writes: a page read after `MessagePublisher.publish` resolved
 * includes that message (if its seq is in the page's range), whether or not a
 * worker has persisted it yet. The recent window comes from the room log, the
 * rest from Postgres; a message older than the window is missing only while
 * the worker is behind by more than the window. If the room log cannot be read
 * (Redis down or slow), the page is served from Postgres alone and a warning
 * is logged: history degrades to "may lag", it does not fail.
 * (`PgMessageStore` alone is only the durable half and does not give this;
 * services serve `MergedHistory`.)
 */
export interface History {
  page(room: string, options: { before?: number | undefined; limit: number }): Promise<HistoryPage>;
}

export interface PresenceStatus {
  /** Up to 80 characters, e.g. "in a meeting". */
  text: string;
  away: boolean;
}

export interface PresenceState {
  userId: string;
  online: boolean;
  /** Epoch ms: when the user went offline, or came online if online now; null if never seen. */
  lastSeen: number | null;
  status: PresenceStatus | null;
}

/**
 * Who is online, held as leases so that a crashed gateway leaves no ghosts.
 *
 * A user is online exactly while at least one of their sockets is open on a
 * gateway whose lease is live. Transitions are reported once: `connect` is
 * the user's state (online, lastSeen = now, status) only for the user's first
 * socket anywhere, and null for every other; `disconnect` is true only for the
 * last. A gateway renews its lease with `heartbeat`; a gateway whose lease
 * expired is cleaned by `reapExpired` (run by any gateway, concurrently safe),
 * which reports the users that went offline because of it. A restarted
 * gateway uses a new id, so nothing old comes back.
 *
 * Reads are O(users asked for) and never ask the gateways.
 */
export interface Presence {
  connect(gatewayId: string, userId: string): Promise<PresenceState | null>;
  disconnect(gatewayId: string, userId: string): Promise<boolean>;
  /**
   * Renews the gateway's lease until now + leaseMs. Resolves true when the
   * lease had lapsed and been reaped (or this is the first heartbeat): the
   * gateway must then connect its live sockets again.
   */
  heartbeat(gatewayId: string, leaseMs: number): Promise<boolean>;
  /** A gateway shutting down: drops its lease and sockets at once; returns users who went offline. */
  leave(gatewayId: string): Promise<string[]>;
  /** Cleans every gateway whose lease expired; returns users who went offline. */
  reapExpired(): Promise<string[]>;
  states(userIds: string[]): Promise<PresenceState[]>;
  /** Online users by the time they came online (oldest first); `after` is the previous page's cursor. */
  online(limit: number, after?: string): Promise<{ total: number; users: { userId: string; since: number }[]; next: string | null }>;
  setStatus(userId: string, status: PresenceStatus | null): Promise<void>;
}
