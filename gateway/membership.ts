/** Room membership as stored in Postgres: read at connect, and in bulk on resync. */
import type { Sql } from '../shared/db/connect.js';

export type RoomsOf = (userId: string) => Promise<string[]>;
/** Every given user appears in the result, with [] when they belong to no room. */
export type RoomsOfUsers = (userIds: string[]) => Promise<Map<string, string[]>>;

export function pgRoomsOf(sql: Sql): RoomsOf {
  return async (userId) => {
    const rows = await sql<{ room_id: string }[]>`select room_id from room_members where user_id = ${userId}`;
    return rows.map((r) => r.room_id);
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
