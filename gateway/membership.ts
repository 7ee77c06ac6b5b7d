/** The rooms a user belongs to, read once per connection. */
import type { Sql } from '../shared/db/connect.js';

export type RoomsOf = (userId: string) => Promise<string[]>;

export function pgRoomsOf(sql: Sql): RoomsOf {
  return async (userId) => {
    const rows = await sql<{ room_id: string }[]>`select room_id from room_members where user_id = ${userId}`;
    return rows.map((r) => r.room_id);
  };
}
