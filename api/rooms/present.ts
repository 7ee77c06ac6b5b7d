/** Rows from the repository, as the HTTP api shows them. */
import type { Ban, Invite, Member, MyRoom, Room } from '../../shared/http/schemas.js';
import type { Role } from './policy.js';
import type { BanRow, InviteRow, MemberRow, RoomRow } from './repository.js';

const userRef = (id: string, username: string) => ({ id, username });

export function presentRoom(row: RoomRow): Room {
  const room: Room = {
    id: row.id,
    kind: row.kind,
    name: row.name,
    topic: row.topic,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    memberCount: row.member_count,
  };
  if (row.kind === 'dm') {
    // A DM is named after the other user, from the caller's point of view.
    if (row.peer_id !== null && row.peer_username !== null) {
      room.peer = userRef(row.peer_id, row.peer_username);
      room.name = row.peer_username;
    }
  }
  return room;
}

/**
 * `unread` is computed only by the my-rooms listing (it needs the room's
 * current seq from Redis); the answers to create, join and accept say 0.
 */
export const presentMyRoom = (row: RoomRow, role: Role, unread = 0): MyRoom => ({ ...presentRoom(row), role, unread });

export const presentMember = (row: MemberRow): Member => ({
  user: userRef(row.user_id, row.username),
  role: row.role,
  joinedAt: row.joined_at.toISOString(),
  lastReadSeq: row.last_read_seq,
});

export const presentInvite = (row: InviteRow): Invite => ({
  room: presentRoom(row),
  user: userRef(row.invitee_id, row.invitee_username),
  invitedBy: row.inviter_id !== null && row.inviter_username !== null ? userRef(row.inviter_id, row.inviter_username) : null,
  createdAt: row.invited_at.toISOString(),
});

export const presentBan = (row: BanRow): Ban => ({
  user: userRef(row.user_id, row.username),
  bannedBy: row.banner_id !== null && row.banner_username !== null ? userRef(row.banner_id, row.banner_username) : null,
  reason: row.reason,
  createdAt: row.created_at.toISOString(),
});
