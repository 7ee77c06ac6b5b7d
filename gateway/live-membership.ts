/**
 * Keeps each live socket's rooms in step with membership, cluster-wide.
 *
 * Per socket, `conn.rooms` is what the user may publish to and `conn.subscribed`
 * is what the socket receives (uWS topics it joined, each backed by one
 * acquired Redis subscription). Control events from the api change both:
 * `joined` subscribes the user's sockets (publishing is allowed at once, and
 * delivery starts as soon as the room's subscription is live), `left`,
 * `kicked`, `banned` and `room_deleted` remove the room from both at once.
 *
 * Grants and removals are not treated alike. Api replicas may announce
 * changes in a different order than they committed them, so a `joined` is
 * checked against Postgres before it takes effect (a late `joined` must not
 * undo a kick), while removals apply at once: the safe direction.
 *
 * Two gaps are closed explicitly:
 * - A change committed after a socket's rooms were read at the upgrade but
 *   before the socket was registered: recent changes are kept for
 *   REPLAY_WINDOW_MS and replayed onto a new socket at attach.
 * - Events missed while the gateway was disconnected from Redis (pub/sub is
 *   at-most-once): `resync` reloads every local user's rooms from Postgres
 *   and applies the difference.
 */
import type { Topics } from './topics.js';
import type { Logger } from '../shared/log.js';
import type { MembershipChanged } from '../shared/broker/control.js';
import type { ServerFrameOf } from '../shared/protocol/frames.js';
import type { Sender, Socket } from './connection.js';
import type { SessionIndex } from './sessions.js';
import type { RoomSubscriptions } from './fanout/subscriptions.js';
import type { RoomsOfUsers } from './membership.js';
import type { CatchUps } from './fanout/catch-up.js';

/** Upper bound on the time between reading a socket's rooms and attaching it. */
const REPLAY_WINDOW_MS = 60_000;
/** Users per Postgres query during a resync. */
const RESYNC_BATCH = 500;

type Removal = 'left' | 'kicked' | 'banned';
type Logged = { at: number; room: string; userId: string | null; change: 'joined' | Removal | 'deleted' };

export interface LiveMembershipDeps {
  subscriptions: RoomSubscriptions;
  sessions: SessionIndex;
  sender: Sender;
  /** Sends a frame to every local socket subscribed to the room. */
  publishToRoom: (room: string, frame: ServerFrameOf<'event'>) => void;
  /** Joins and leaves a socket's live room topics (see Topics). */
  topics: Pick<Topics, 'join' | 'leave'>;
  roomsOfUsers: RoomsOfUsers;
  catchUps: CatchUps;
  logger: Logger;
}

export class LiveMembership {
  private recent: Logged[] = [];

  constructor(private readonly deps: LiveMembershipDeps) {}

  /**
   * Subscribes a newly opened socket to its rooms, after replaying changes
   * seen since they were read; resolves once every subscription is live.
   */
  attach(ws: Socket): Promise<void> {
    const conn = ws.getUserData();
    const joinedSince: string[] = [];
    for (const entry of this.recent) {
      if (entry.at < conn.roomsReadAt) continue;
      if (entry.change === 'deleted') conn.rooms.delete(entry.room);
      else if (entry.userId === conn.principal.userId) {
        if (entry.change === 'joined') joinedSince.push(entry.room);
        else conn.rooms.delete(entry.room);
      }
    }
    if (joinedSince.length > 0) this.grant(conn.principal.userId, joinedSince, [ws]);
    return Promise.all([...conn.rooms].map((room) => this.subscribe(ws, room))).then(() => undefined);
  }

  /**
   * A socket used a room it does not have: the join may be committed while its
   * event is still on the way (a client publishing right after the api's 201).
   * Postgres decides, as for any join; a membership change for the user and
   * room seen during the check wins over the check. Resolves whether the
   * socket now has the room (it is subscribed as after a join).
   */
  async confirm(ws: Socket, room: string): Promise<boolean> {
    const conn = ws.getUserData();
    const userId = conn.principal.userId;
    const asked = Date.now();
    const current = await this.deps.roomsOfUsers([userId]);
    if (conn.closed) return false;
    if (conn.rooms.has(room)) return true;
    if (!(current.get(userId) ?? []).includes(room) || this.changedSince(asked, userId, room)) return false;
    conn.rooms.add(room);
    await this.subscribe(ws, room);
    return conn.rooms.has(room);
  }

  /** Releases everything a closed socket held. */
  detach(ws: Socket): void {
    const conn = ws.getUserData();
    this.deps.catchUps.cancelAll(ws);
    for (const room of conn.subscribed) this.deps.subscriptions.release(room);
    conn.subscribed.clear();
  }

  /** Every local socket loses the room at once. */
  roomDeleted(room: string): void {
    this.remember(room, null, 'deleted');
    for (const ws of this.deps.sessions.all()) this.remove(ws, room);
  }

  /**
   * Reloads every local user's rooms from Postgres and applies the difference.
   * A (user, room) that had an event after the snapshot was requested is left
   * alone: the event is newer than the snapshot, and applying the snapshot
   * would undo it (e.g. give a just-kicked user the room back).
   */
  async resync(): Promise<void> {
    const users = this.deps.sessions.userIds();
    for (let i = 0; i < users.length; i += RESYNC_BATCH) {
      const requestedAt = Date.now();
      const roomsByUser = await this.deps.roomsOfUsers(users.slice(i, i + RESYNC_BATCH));
      for (const [userId, rooms] of roomsByUser) {
        const wanted = new Set(rooms);
        const stale = (room: string) => this.changedSince(requestedAt, userId, room);
        for (const ws of this.deps.sessions.socketsOfUser(userId)) {
          const conn = ws.getUserData();
          for (const room of [...conn.rooms]) if (!wanted.has(room) && !stale(room)) this.remove(ws, room);
          for (const room of wanted) {
            if (conn.rooms.has(room) || stale(room)) continue;
            conn.rooms.add(room);
            this.subscribe(ws, room).catch((err: unknown) => this.deps.logger.warn({ err, room }, 'resync subscribe failed'));
          }
        }
      }
    }
  }

  /**
   * Applies a membership change to the user's sockets here; `frame` is the
   * member event the room's members are shown (the control handler built it).
   */
  membershipChanged(event: MembershipChanged, frame: ServerFrameOf<'event'>): void {
    const { room } = event;
    const sockets = this.deps.sessions.socketsOfUser(event.user.id);
    switch (event.change) {
      case 'joined':
        this.remember(room, event.user.id, 'joined');
        this.deps.publishToRoom(room, frame);
        if (sockets.length > 0) this.grant(event.user.id, [room], sockets, frame);
        return;
      case 'left':
      case 'kicked':
      case 'banned':
        this.remember(room, event.user.id, event.change);
        // Members, the affected user included, see the event before the user's sockets leave the topic.
        this.deps.publishToRoom(room, frame);
        for (const ws of sockets) this.remove(ws, room);
        return;
      case 'role_changed':
        return this.deps.publishToRoom(room, frame);
      case 'invited':
        for (const ws of sockets) this.deps.sender.send(ws, frame);
        return;
    }
  }

  /**
   * Gives `rooms` to the user's sockets, but only those Postgres confirms the
   * user belongs to now; `frame` (the joiner's member_joined) is sent to each
   * socket once it receives the room.
   */
  private grant(userId: string, rooms: string[], sockets: Socket[], frame?: ServerFrameOf<'event'>): void {
    this.deps.roomsOfUsers([userId]).then(
      (current) => {
        const confirmed = new Set(current.get(userId) ?? []);
        for (const room of rooms) {
          if (!confirmed.has(room)) continue;
          for (const ws of sockets) {
            const conn = ws.getUserData();
            if (conn.closed || conn.rooms.has(room)) continue;
            conn.rooms.add(room);
            this.subscribe(ws, room).then(
              () => frame && conn.subscribed.has(room) && this.deps.sender.send(ws, frame),
              (err: unknown) => this.deps.logger.warn({ err, room }, 'subscribe after join failed'),
            );
          }
        }
      },
      (err: unknown) => this.deps.logger.error({ err, userId }, 'could not confirm a join; the next resync will'),
    );
  }

  /** Resolves once the socket receives the room (or no longer should). */
  private subscribe(ws: Socket, room: string): Promise<void> {
    const conn = ws.getUserData();
    const { subscriptions } = this.deps;
    return subscriptions.acquire(room).then(
      () => {
        // Closed, removed or already subscribed meanwhile: give the hold back.
        if (conn.closed || !conn.rooms.has(room) || conn.subscribed.has(room)) return subscriptions.release(room);
        conn.subscribed.add(room);
        // A held socket (resume pending) or one catching up on the room joins the live topic later.
        if (!conn.hold && !conn.catchingUp?.has(room)) this.deps.topics.join(ws, room);
      },
      (err: unknown) => {
        subscriptions.release(room);
        throw err;
      },
    );
  }

  /** Takes the room away from the socket at once: no more publishing to it, no more delivery. */
  private remove(ws: Socket, room: string): void {
    const conn = ws.getUserData();
    conn.rooms.delete(room);
    this.deps.catchUps.cancel(ws, room);
    if (!conn.subscribed.delete(room)) return;
    if (!conn.closed) this.deps.topics.leave(ws, room);
    this.deps.subscriptions.release(room);
  }

  private changedSince(at: number, userId: string, room: string): boolean {
    return this.recent.some((e) => e.at >= at && e.room === room && (e.userId === userId || e.userId === null));
  }

  private remember(room: string, userId: string | null, change: Logged['change']): void {
    const now = Date.now();
    this.recent.push({ at: now, room, userId, change });
    const cutoff = now - REPLAY_WINDOW_MS;
    if (this.recent[0]!.at < cutoff) this.recent = this.recent.filter((e) => e.at >= cutoff);
  }
}
