/** The rooms that get a user's presence events: theirs, small enough for per-user events. */
import type { Sql } from '../db/connect.js';

export async function presenceRooms(sql: Sql, userId: string, maxMembers: number): Promise<string[]> {
  const rows = await sql<{ room_id: string }[]>`
    select m.room_id from room_members m join rooms r on r.id = m.room_id
    where m.user_id = ${userId} and r.member_count <= ${maxMembers}
  `;
  return rows.map((r) => r.room_id);
}
