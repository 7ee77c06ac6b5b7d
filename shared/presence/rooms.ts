/** The rooms that get a user's presence events: theirs, small enough for per-user events. */
import type { Sql } from '../db/connect.js';

export async function presenceRooms(sql: Sql, userId: string, maxMembers: number): Promise<string[]> {
  const rows = await sql<{ room_id: string }[]>`
    select m.room_id from room_members m join rooms r on r.id = m.room_id
    where m.user_id = ${userId} and r.member_count <= ${maxMembers}
  `;
  return rows.map((r) => r.room_id);
}

/** The user's name and the rooms that get their presence events, in one query; null for an unknown user. */
export async function presenceAudience(
  sql: Sql,
  userId: string,
  maxMembers: number,
): Promise<{ username: string; rooms: string[] } | null> {
  const [row] = await sql<{ username: string; rooms: string[] }[]>`
    select u.username, array(
      select m.room_id::text from room_members m join rooms r on r.id = m.room_id
      where m.user_id = u.id and r.member_count <= ${maxMembers}
    ) as rooms
    from users u where u.id = ${userId}
  `;
  return row ?? null;
}
