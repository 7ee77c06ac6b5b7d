/**
 * Rooms, memberships, invitations and bans in Postgres.
 *
 * Reads run on the pool. Every change runs in `transaction`, which hands out
 * a `RoomTx`: the route first locks the room row (`lockRoom`, FOR NO KEY
 * UPDATE) so that changes to one room run one at a time, reads the acting
 * user's relation (and the target's) inside that transaction, with their
 * membership rows locked FOR UPDATE, asks the policy, and only then changes
 * rows. The decision and the change therefore see the same state: two
 * concurrent ownership transfers cannot both pass, a join cannot slip past a
 * ban being written, and so on. The room lock does not block message inserts
 * (their foreign key takes FOR KEY SHARE, which does not conflict).
 */
import type { Sql, Tx } from '../../shared/db/connect.js';
import { ParleyError } from '../../shared/errors.js';
import type { Relation, Role, RoomKind } from './policy.js';

const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';

/** A room as stored, seen by one user (`peer_*` are set for DMs). */
export interface RoomRow {
  id: string;
  kind: RoomKind;
  name: string;
  topic: string;
  created_at: Date;
  updated_at: Date;
  member_count: number;
  peer_id: string | null;
  peer_username: string | null;
}

/*
 * Keyset positions travel as Postgres text and are cast back with
 * `::text::timestamptz`: a parameter typed timestamptz would go through a JS
 * Date and lose the microseconds, and the page boundary row would repeat.
 */

export interface MyRoomRow extends RoomRow {
  role: Role;
  last_read_seq: number;
  /** Keyset position: joined_at as Postgres text (microseconds kept). */
  k_ts: string;
}

export interface PublicRoomRow extends RoomRow {
  /** Keyset position: lower(name), and the similarity as text when searching. */
  k_name: string;
  k_sim: string | null;
}

export interface MemberRow {
  user_id: string;
  username: string;
  role: Role;
  joined_at: Date;
  last_read_seq: number;
  k_ts: string;
}

export interface InviteRow extends RoomRow {
  invitee_id: string;
  invitee_username: string;
  inviter_id: string | null;
  inviter_username: string | null;
  invited_at: Date;
}

export interface BanRow {
  user_id: string;
  username: string;
  banner_id: string | null;
  banner_username: string | null;
  reason: string;
  created_at: Date;
}

/** What a change needs to know about the room it locked. */
export interface LockedRoom {
  id: string;
  kind: RoomKind;
  name: string;
  topic: string;
}

/** A keyset position after which a page starts. */
export type After<T extends unknown[]> = T | undefined;

type Db = Sql | Tx;

/**
 * The room columns every listing selects from `rooms r`, with `peerJoin`. A
 * DM's peer comes from its dm_key (the two user ids); if the peer's account is
 * gone, there is no peer.
 */
const ROOM_COLUMNS = `
  r.id, r.kind, r.name, r.topic, r.created_at, r.updated_at,
  r.member_count,
  p.id as peer_id, p.username as peer_username`;

/** The peer join for ROOM_COLUMNS; `$viewer` is bound by the caller. */
const peerJoin = (db: Db, viewer: string) => db`
  left join lateral (
    select u.id, u.username from users u
    where r.kind = 'dm' and u.id::text = any(string_to_array(r.dm_key, ':')) and u.id <> ${viewer}
  ) p on true`;

export class RoomRepository {
  constructor(private readonly sql: Sql) {}

  /** Runs `fn` in one transaction; see the module comment for the order of steps. */
  async transaction<T>(fn: (tx: RoomTx) => Promise<T>): Promise<T> {
    try {
      return (await this.sql.begin((tx) => fn(new RoomTx(tx)))) as T;
    } catch (err) {
      throw translate(err);
    }
  }

  /** The room as `userId` sees it, and their relation to it; room null when it does not exist. */
  async view(roomId: string, userId: string): Promise<{ room: RoomRow | null; relation: Relation }> {
    return view(this.sql, roomId, userId);
  }

  /** The user's rooms, in the order they joined them. */
  async myRooms(userId: string, limit: number, after: After<[ts: string, roomId: string]>): Promise<MyRoomRow[]> {
    const db = this.sql;
    return db<MyRoomRow[]>`
      select ${db.unsafe(ROOM_COLUMNS)}, m.role, m.last_read_seq, m.joined_at::text as k_ts
      from room_members m
      join rooms r on r.id = m.room_id
      ${peerJoin(db, userId)}
      where m.user_id = ${userId}
        ${after ? db`and (m.joined_at, m.room_id) > (${after[0]}::text::timestamptz, ${after[1]}::uuid)` : db``}
      order by m.joined_at, m.room_id
      limit ${limit}
    `;
  }

  /**
   * Public rooms by name; with `q`, those whose name is similar (pg_trgm `%`)
   * or starts with q, most similar first.
   */
  async publicRooms(
    viewer: string,
    q: string | undefined,
    limit: number,
    after: After<[name: string, roomId: string]> | After<[sim: string, name: string, roomId: string]>,
  ): Promise<PublicRoomRow[]> {
    const db = this.sql;
    if (q === undefined) {
      const a = after as [string, string] | undefined;
      return db<PublicRoomRow[]>`
        select ${db.unsafe(ROOM_COLUMNS)}, lower(r.name) as k_name, null as k_sim
        from rooms r ${peerJoin(db, viewer)}
        where r.kind = 'public'
          ${a ? db`and (lower(r.name), r.id) > (${a[0]}, ${a[1]}::uuid)` : db``}
        order by lower(r.name), r.id
        limit ${limit}
      `;
    }
    const a = after as [string, string, string] | undefined;
    // LIKE wildcards in q are literal.
    const prefix = `${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    return db<(RoomRow & { k_name: string; sim: number })[]>`
      select * from (
        select ${db.unsafe(ROOM_COLUMNS)}, lower(r.name) as k_name,
          similarity(lower(r.name), lower(${q})) as sim
        from rooms r ${peerJoin(db, viewer)}
        where r.kind = 'public' and (lower(r.name) % lower(${q}) or lower(r.name) like ${prefix})
      ) s
      ${
        a
          ? db`where s.sim < ${a[0]}::text::real or (s.sim = ${a[0]}::text::real and (s.k_name, s.id) > (${a[1]}, ${a[2]}::uuid))`
          : db``
      }
      order by s.sim desc, s.k_name, s.id
      limit ${limit}
    `.then((rows) => rows.map(({ sim, ...row }) => ({ ...row, k_sim: String(sim) })));
  }

  /** Members in the order they joined. */
  async members(roomId: string, limit: number, after: After<[ts: string, userId: string]>): Promise<MemberRow[]> {
    const db = this.sql;
    return db<MemberRow[]>`
      select m.user_id, u.username, m.role, m.joined_at, m.last_read_seq, m.joined_at::text as k_ts
      from room_members m join users u on u.id = m.user_id
      where m.room_id = ${roomId}
        ${after ? db`and (m.joined_at, m.user_id) > (${after[0]}::text::timestamptz, ${after[1]}::uuid)` : db``}
      order by m.joined_at, m.user_id
      limit ${limit}
    `;
  }

  /**
   * Moves the member's read position forward to `seq` (never back). Returns
   * the position afterwards and whether this call moved it, or null when the
   * user is not a member. No room lock: the conditional update is atomic on
   * the membership row, so of concurrent equal requests exactly one moves it.
   */
  async markRead(roomId: string, userId: string, seq: number): Promise<{ seq: number; moved: boolean } | null> {
    const [moved] = await this.sql<{ last_read_seq: number }[]>`
      update room_members set last_read_seq = ${seq}
      where room_id = ${roomId} and user_id = ${userId} and last_read_seq < ${seq}
      returning last_read_seq
    `;
    if (moved) return { seq: moved.last_read_seq, moved: true };
    const [row] = await this.sql<{ last_read_seq: number }[]>`
      select last_read_seq from room_members where room_id = ${roomId} and user_id = ${userId}
    `;
    return row ? { seq: row.last_read_seq, moved: false } : null;
  }

  /** The user's pending invitations, newest first. */
  async invitesFor(userId: string): Promise<InviteRow[]> {
    return invites(this.sql, userId, undefined);
  }

  /** The room's bans, newest first. */
  async bans(roomId: string): Promise<BanRow[]> {
    return this.sql<BanRow[]>`
      select b.user_id, u.username, b.banned_by as banner_id, bu.username as banner_username, b.reason, b.created_at
      from room_bans b
      join users u on u.id = b.user_id
      left join users bu on bu.id = b.banned_by
      where b.room_id = ${roomId}
      order by b.created_at desc, b.user_id
    `;
  }
}

/** The steps of one change, on one transaction. */
export class RoomTx {
  constructor(private readonly tx: Tx) {}

  /** Locks the room row; null when the room does not exist. */
  async lockRoom(roomId: string): Promise<LockedRoom | null> {
    const [room] = await this.tx<LockedRoom[]>`
      select id, kind, name, topic from rooms where id = ${roomId} for no key update
    `;
    return room ?? null;
  }

  /** Locks the room and reads the user's relation to it: the first step of every change. */
  async enter(roomId: string, userId: string): Promise<{ room: LockedRoom | null; relation: Relation }> {
    const room = await this.lockRoom(roomId);
    return { room, relation: room ? await this.relation(roomId, userId) : 'none' };
  }

  /** The user's relation to the room, with their membership row (if any) locked. */
  async relation(roomId: string, userId: string): Promise<Relation> {
    const [row] = await this.tx<{ role: Role | null; banned: boolean; invited: boolean }[]>`
      select
        m.role,
        exists (select 1 from room_bans b where b.room_id = ${roomId} and b.user_id = ${userId}) as banned,
        exists (select 1 from room_invites i where i.room_id = ${roomId} and i.user_id = ${userId}) as invited
      from (select 1) one
      left join lateral (
        select role from room_members where room_id = ${roomId} and user_id = ${userId} for update
      ) m on true
    `;
    return toRelation(row!);
  }

  /** The room as `viewer` sees it, inside the transaction (after a change). */
  async room(roomId: string, viewer: string): Promise<RoomRow> {
    const { room } = await view(this.tx, roomId, viewer);
    if (!room) throw new ParleyError('room_not_found');
    return room;
  }

  async member(roomId: string, userId: string): Promise<MemberRow> {
    const [row] = await this.tx<MemberRow[]>`
      select m.user_id, u.username, m.role, m.joined_at, m.last_read_seq, m.joined_at::text as k_ts
      from room_members m join users u on u.id = m.user_id
      where m.room_id = ${roomId} and m.user_id = ${userId}
    `;
    if (!row) throw new ParleyError('member_not_found');
    return row;
  }

  async createRoom(kind: 'public' | 'private', name: string, topic: string, ownerId: string): Promise<string> {
    const [room] = await this.tx<{ id: string }[]>`
      insert into rooms (kind, name, topic, created_by) values (${kind}, ${name}, ${topic}, ${ownerId}) returning id
    `;
    await this.tx`insert into room_members (room_id, user_id, role) values (${room!.id}, ${ownerId}, 'owner')`;
    return room!.id;
  }

  /**
   * The one DM between two users, created if missing. Race-free: a concurrent
   * creator's insert makes ours wait and then do nothing; we then read theirs.
   */
  async openDm(userId: string, peerId: string): Promise<{ id: string; created: boolean }> {
    const dmKey = [userId, peerId].sort().join(':');
    const [created] = await this.tx<{ id: string }[]>`
      insert into rooms (kind, name, created_by, dm_key) values ('dm', '', ${userId}, ${dmKey})
      on conflict (dm_key) do nothing
      returning id
    `;
    if (created) {
      await this.tx`
        insert into room_members (room_id, user_id, role)
        values (${created.id}, ${userId}, 'member'), (${created.id}, ${peerId}, 'member')
      `;
      return { id: created.id, created: true };
    }
    const [existing] = await this.tx<{ id: string }[]>`select id from rooms where dm_key = ${dmKey}`;
    return { id: existing!.id, created: false };
  }

  async updateRoom(roomId: string, change: { name: string; topic: string; kind: 'public' | 'private' }): Promise<void> {
    await this.tx`
      update rooms set name = ${change.name}, topic = ${change.topic}, kind = ${change.kind}, updated_at = now()
      where id = ${roomId}
    `;
  }

  async deleteRoom(roomId: string): Promise<void> {
    await this.tx`delete from rooms where id = ${roomId}`;
  }

  /** Makes the user a member; their pending invitation, if any, is used up. */
  async addMember(roomId: string, userId: string, role: Role): Promise<void> {
    await this.tx`insert into room_members (room_id, user_id, role) values (${roomId}, ${userId}, ${role})`;
    await this.tx`delete from room_invites where room_id = ${roomId} and user_id = ${userId}`;
  }

  async removeMember(roomId: string, userId: string): Promise<void> {
    await this.tx`delete from room_members where room_id = ${roomId} and user_id = ${userId}`;
  }

  async setRole(roomId: string, userId: string, role: Role): Promise<void> {
    await this.tx`update room_members set role = ${role} where room_id = ${roomId} and user_id = ${userId}`;
  }

  /** Creates an invitation; false when one was already pending. */
  async invite(roomId: string, userId: string, invitedBy: string): Promise<boolean> {
    const rows = await this.tx`
      insert into room_invites (room_id, user_id, invited_by) values (${roomId}, ${userId}, ${invitedBy})
      on conflict do nothing returning 1
    `;
    return rows.length > 0;
  }

  async inviteOf(roomId: string, userId: string): Promise<InviteRow> {
    const [row] = await invites(this.tx, userId, roomId);
    if (!row) throw new ParleyError('invite_not_found');
    return row;
  }

  async deleteInvite(roomId: string, userId: string): Promise<void> {
    await this.tx`delete from room_invites where room_id = ${roomId} and user_id = ${userId}`;
  }

  /**
   * Bans the user: removes their membership and invitation and records the
   * ban. False when they were already banned (the reason is updated).
   */
  async ban(roomId: string, userId: string, bannedBy: string, reason: string): Promise<boolean> {
    await this.tx`delete from room_members where room_id = ${roomId} and user_id = ${userId}`;
    await this.tx`delete from room_invites where room_id = ${roomId} and user_id = ${userId}`;
    const [row] = await this.tx<{ inserted: boolean }[]>`
      insert into room_bans (room_id, user_id, banned_by, reason) values (${roomId}, ${userId}, ${bannedBy}, ${reason})
      on conflict (room_id, user_id) do update set reason = excluded.reason
      returning (xmax = 0) as inserted
    `;
    return row!.inserted;
  }

  async unban(roomId: string, userId: string): Promise<void> {
    await this.tx`delete from room_bans where room_id = ${roomId} and user_id = ${userId}`;
  }
}

function toRelation(row: { role: Role | null; banned: boolean; invited: boolean }): Relation {
  if (row.role) return row.role;
  if (row.banned) return 'banned';
  if (row.invited) return 'invited';
  return 'none';
}

async function view(db: Db, roomId: string, userId: string): Promise<{ room: RoomRow | null; relation: Relation }> {
  const [row] = await db<(RoomRow & { role: Role | null; banned: boolean; invited: boolean })[]>`
    select ${db.unsafe(ROOM_COLUMNS)}, m.role,
      exists (select 1 from room_bans b where b.room_id = r.id and b.user_id = ${userId}) as banned,
      exists (select 1 from room_invites i where i.room_id = r.id and i.user_id = ${userId}) as invited
    from rooms r
    ${peerJoin(db, userId)}
    left join room_members m on m.room_id = r.id and m.user_id = ${userId}
    where r.id = ${roomId}
  `;
  if (!row) return { room: null, relation: 'none' };
  const { role, banned, invited, ...room } = row;
  return { room, relation: toRelation({ role, banned, invited }) };
}

async function invites(db: Db, userId: string, roomId: string | undefined): Promise<InviteRow[]> {
  return db<InviteRow[]>`
    select ${db.unsafe(ROOM_COLUMNS)},
      i.user_id as invitee_id, iu.username as invitee_username,
      i.invited_by as inviter_id, ib.username as inviter_username, i.created_at as invited_at
    from room_invites i
    join rooms r on r.id = i.room_id
    join users iu on iu.id = i.user_id
    left join users ib on ib.id = i.invited_by
    ${peerJoin(db, userId)}
    where i.user_id = ${userId} ${roomId ? db`and i.room_id = ${roomId}` : db``}
    order by i.created_at desc, i.room_id
  `;
}

/** Constraint violations that have a catalogue code. */
function translate(err: unknown): unknown {
  const e = err as { code?: string; constraint_name?: string; table_name?: string };
  if (e.code === UNIQUE_VIOLATION && e.constraint_name === 'rooms_public_name_key') {
    return new ParleyError('room_name_taken', undefined, { cause: err });
  }
  if (e.code === UNIQUE_VIOLATION && e.constraint_name === 'room_members_pkey') {
    return new ParleyError('already_member', undefined, { cause: err });
  }
  // The room or a user was deleted by a transaction that committed meanwhile.
  if (e.code === FOREIGN_KEY_VIOLATION) {
    return new ParleyError(e.constraint_name?.endsWith('_room_id_fkey') ? 'room_not_found' : 'user_not_found', undefined, {
      cause: err,
    });
  }
  return err;
}
