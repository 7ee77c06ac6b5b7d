/** User accounts. Every new user joins the global room in the same transaction. */
import type { Sql } from '../shared/db/connect.js';
import { ParleyError } from '../shared/errors.js';
import { GLOBAL_ROOM_ID } from '../shared/http/schemas.js';

export interface UserRow {
  id: string;
  username: string;
  password_hash: string;
  created_at: Date;
}

const UNIQUE_VIOLATION = '23505';

export class Users {
  constructor(private readonly sql: Sql) {}

  async create(username: string, passwordHash: string): Promise<UserRow> {
    try {
      return await this.sql.begin(async (tx) => {
        const [user] = await tx<UserRow[]>`
          insert into users (username, password_hash) values (${username}, ${passwordHash})
          returning id, username, password_hash, created_at
        `;
        await tx`insert into room_members (room_id, user_id) values (${GLOBAL_ROOM_ID}, ${user!.id})`;
        return user!;
      });
    } catch (err) {
      if ((err as { code?: string }).code === UNIQUE_VIOLATION) throw new ParleyError('username_taken');
      throw err;
    }
  }

  async byUsername(username: string): Promise<UserRow | undefined> {
    const [user] = await this.sql<UserRow[]>`
      select id, username, password_hash, created_at from users where lower(username) = lower(${username})
    `;
    return user;
  }

  /**
   * Makes the user a server admin or not. Undefined when there is no such
   * user; `changed` is false when they already were (or were not).
   */
  async setAdmin(username: string, admin: boolean): Promise<{ username: string; changed: boolean } | undefined> {
    const [row] = await this.sql<{ username: string; changed: boolean }[]>`
      update users u set is_admin = ${admin}
      from (select id, is_admin as before from users where lower(username) = lower(${username}) for update) old
      where u.id = old.id
      returning u.username, old.before <> ${admin} as changed
    `;
    return row;
  }

  async byId(id: string): Promise<UserRow | undefined> {
    const [user] = await this.sql<UserRow[]>`select id, username, password_hash, created_at from users where id = ${id}`;
    return user;
  }

  /** Usernames of the users that exist among `ids`, in one query. */
  async usernames(ids: readonly string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await this.sql<{ id: string; username: string }[]>`
      select id, username from users where id = any(${[...ids]}::uuid[])
    `;
    return new Map(rows.map((r) => [r.id, r.username]));
  }
}

export const publicUser = (u: { id: string; username: string; created_at: Date }) => ({
  id: u.id,
  username: u.username,
  createdAt: u.created_at.toISOString(),
});
