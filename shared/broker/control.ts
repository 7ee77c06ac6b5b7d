/**
 * Cluster control events, published by the api and consumed by every gateway
 * on one pub/sub channel. Delivery is at-most-once: a gateway that was
 * disconnected from Redis must resynchronise (re-check revoked sessions,
 * reload memberships) instead of assuming it saw every event.
 *
 * The api publishes an event only after the change is committed in Postgres,
 * so a gateway that reloads from Postgres never sees less than the events say.
 */
import Type, { type Static } from 'typebox';
import { Compile } from 'typebox/compile';

const Who = Type.Object({ id: Type.String(), username: Type.String() });

export const SessionRevoked = Type.Object({
  type: Type.Literal('session_revoked'),
  sessionId: Type.String(),
  reason: Type.String(),
});

export const MembershipChange = Type.Enum(['joined', 'left', 'kicked', 'banned', 'role_changed', 'invited']);
export type MembershipChange = Static<typeof MembershipChange>;

/**
 * `user`'s relation to `room` changed. Gateways subscribe the user's live
 * sockets to the room on `joined` and unsubscribe them on `left`, `kicked` and
 * `banned`; every change is also shown to the room's members as an `event` frame
 * (`invited` only to the invitee).
 */
export const MembershipChanged = Type.Object({
  type: Type.Literal('membership_changed'),
  room: Type.String(),
  change: MembershipChange,
  user: Who,
  /** Who made the change; null when the user acted on their own (join, leave, accept). */
  actor: Type.Union([Who, Type.Null()]),
  /** The user's role after the change, when they are a member. */
  role: Type.Optional(Type.Enum(['owner', 'admin', 'member'])),
});
export type MembershipChanged = Static<typeof MembershipChanged>;

export const RoomUpdated = Type.Object({
  type: Type.Literal('room_updated'),
  room: Type.String(),
  name: Type.String(),
  topic: Type.String(),
  visibility: Type.Enum(['public', 'private']),
  actor: Who,
});

/** Every gateway unsubscribes every local socket from the room. */
export const RoomDeleted = Type.Object({
  type: Type.Literal('room_deleted'),
  room: Type.String(),
  actor: Who,
});

/**
 * A member moved their read position in a room. Gateways tell the room's
 * members (a `read` event), which also updates the reader's other devices.
 */
export const ReadMarker = Type.Object({
  type: Type.Literal('read_marker'),
  room: Type.String(),
  user: Who,
  /** The member's last-read seq after the change (it never moves backwards). */
  seq: Type.Integer({ minimum: 0 }),
});
export type ReadMarker = Static<typeof ReadMarker>;

/** A server announcement: every gateway sends it to every connected socket. */
export const AnnouncementPosted = Type.Object({
  type: Type.Literal('announcement'),
  id: Type.String(),
  author: Who,
  body: Type.String(),
  /** ISO-8601. */
  createdAt: Type.String(),
});
export type AnnouncementPosted = Static<typeof AnnouncementPosted>;

/** A message was edited or deleted, or a reaction added or removed; members see an `event`. */
export const MessageChanged = Type.Object({
  type: Type.Literal('message_changed'),
  room: Type.String(),
  seq: Type.Integer({ minimum: 1 }),
  messageId: Type.String(),
  change: Type.Enum(['edited', 'deleted', 'reaction_added', 'reaction_removed']),
  /** Who did it. */
  user: Who,
  body: Type.Optional(Type.String()),
  emoji: Type.Optional(Type.String()),
});
export type MessageChanged = Static<typeof MessageChanged>;

/**
 * A user came online, went offline or changed their custom status. Gateways
 * send a `presence` frame to the members of each listed room: the user's rooms
 * small enough for per-user events (PRESENCE_ROOM_EVENTS_MAX_MEMBERS).
 */
export const PresenceChanged = Type.Object({
  type: Type.Literal('presence_changed'),
  user: Who,
  online: Type.Boolean(),
  status: Type.Union([Type.Object({ text: Type.String(), away: Type.Boolean() }), Type.Null()]),
  /** Epoch ms. */
  lastSeen: Type.Union([Type.Integer(), Type.Null()]),
  rooms: Type.Array(Type.String()),
});
export type PresenceChanged = Static<typeof PresenceChanged>;

export const ControlEvent = Type.Union([
  PresenceChanged,
  SessionRevoked,
  MembershipChanged,
  RoomUpdated,
  RoomDeleted,
  ReadMarker,
  AnnouncementPosted,
  MessageChanged,
]);
export type ControlEvent = Static<typeof ControlEvent>;

const check = Compile(ControlEvent);

export function decodeControlEvent(raw: string | Buffer): ControlEvent | null {
  try {
    const value: unknown = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
    return check.Check(value) ? (value as ControlEvent) : null;
  } catch {
    return null;
  }
}

export function encodeControlEvent(event: ControlEvent): string {
  return JSON.stringify(event);
}
