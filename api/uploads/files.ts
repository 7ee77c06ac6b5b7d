/** Stored files: their records in Postgres and where their bytes are. */
import { join } from 'node:path';
import type { Sql } from '../../shared/db/connect.js';

export interface FileRow {
  id: string;
  room_id: string;
  name: string;
  size: number;
  content_type: string;
  sha256: string;
  storage_key: string;
}

export class Files {
  constructor(
    private readonly sql: Sql,
    private readonly directory: string,
  ) {}

  async byId(id: string): Promise<FileRow | undefined> {
    const [row] = await this.sql<FileRow[]>`
      select id, room_id, name, size, content_type, sha256, storage_key from files where id = ${id}
    `;
    return row;
  }

  /** Storage keys are server-generated upload ids (never user input), so joining them is safe. */
  pathOf(row: FileRow): string {
    return join(this.directory, row.storage_key);
  }
}
