/**
 * @tus/file-store with expiry that spares finished uploads. Upstream's
 * deleteExpired tells finished from unfinished by the offset in the upload's
 * `.json`, which write() never updates (it stays 0), so every upload, finished
 * or not, would be deleted once it is older than the expiry: a room's files
 * would vanish a day after being shared. Here the offset comes from the bytes
 * on disk (getUpload), the same source tus itself answers HEAD from.
 */
import { FileStore } from '@tus/file-store';
import { ERRORS } from '@tus/utils';

export class ExpiringFileStore extends FileStore {
  override async deleteExpired(): Promise<number> {
    const expiry = this.getExpiration();
    if (expiry <= 0 || !this.configstore.list) return 0;
    const now = Date.now();
    let deleted = 0;
    for (const id of await this.configstore.list()) {
      try {
        const upload = await this.getUpload(id);
        const created = upload.creation_date ? Date.parse(upload.creation_date) : NaN;
        if (upload.size === upload.offset || !(created + expiry < now)) continue;
        await this.remove(id);
        deleted++;
      } catch (err) {
        // Gone meanwhile (another replica's clean-up, or a termination): nothing left to delete.
        if (err !== ERRORS.FILE_NOT_FOUND && err !== ERRORS.FILE_NO_LONGER_EXISTS) throw err;
      }
    }
    return deleted;
  }
}
