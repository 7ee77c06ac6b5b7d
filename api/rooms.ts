/** Room membership lookups used for authorization. */
import type { Sql } from '../shared/db/connect.js';

export class Rooms {
  constructor(private readonly sql: Sql) {}

  async isMember(roomId: string, userId: string): Promise<boolean> {
    const rows = await this.sql`select 1 from room_members where room_id = ${roomId} and user_id = ${userId}`;
    return rows.length > 0;
  }
}
