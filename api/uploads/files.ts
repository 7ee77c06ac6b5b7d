/** Records of stored files in Postgres (their bytes are read through UploadContent by `storage_key`). */
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
  constructor(private readonly sql: Sql) {}

  async byId(id: string): Promise<FileRow | undefined> {
    const [row] = await this.sql<FileRow[]>`
      select id, room_id, name, size, content_type, sha256, storage_key from files where id = ${id}
    `;
    return row;
  }

}
