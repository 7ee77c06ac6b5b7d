/** Room membership as stored in Postgres: read at connect, and in bulk on resync. */
import type { Sql } from '../shared/db/connect.js';

/**
 * A connecting user's rooms, and which of them get the user's presence events
 * (at most PRESENCE_ROOM_EVENTS_MAX_MEMBERS members, as presenceAudience
 * reads them): one query serves the socket's rooms and its online announcement.
 */
export type RoomsOf = (userId: string) => Promise<{ rooms: string[]; presenceRooms: string[] }>;
/** Every given user appears in the result, with [] when they belong to no room. */
export type RoomsOfUsers = (userIds: string[]) => Promise<Map<string, string[]>>;

export function pgRoomsOf(sql: Sql, presenceMaxMembers: number): RoomsOf {
  return async (userId) => {
    const rows = await sql<{ room_id: string; presence: boolean }[]>`
      select m.room_id, r.member_count <= ${presenceMaxMembers} as presence
      from room_members m join rooms r on r.id = m.room_id
      where m.user_id = ${userId}
    `;
    return { rooms: rows.map((r) => r.room_id), presenceRooms: rows.filter((r) => r.presence).map((r) => r.room_id) };
  };
}

export function pgRoomsOfUsers(sql: Sql): RoomsOfUsers {
  return async (userIds) => {
    const result = new Map<string, string[]>(userIds.map((id) => [id, []]));
    if (userIds.length === 0) return result;
    const rows = await sql<{ user_id: string; room_id: string }[]>`
      select user_id, room_id from room_members where user_id = any(${userIds}::uuid[])
    `;
    for (const r of rows) result.get(r.user_id)?.push(r.room_id);
    return result;
  };
}
