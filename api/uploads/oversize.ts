/**
 * A deferred-length upload (`Upload-Defer-Length: 1`) declares no size that
 * could be checked up front, so tus counts its bytes as they arrive and
 * refuses the request with 413 once they pass UPLOADS_MAX_BYTES. By then up
 * to UPLOADS_MAX_BYTES of it are stored, and the upload cannot become the
 * file the client was sending (that one is larger). Left alone, it would
 * hold the space until it expires (UPLOADS_EXPIRE_MS, a day by default).
 * Here it is removed, bytes and metadata, before the 413 is sent.
 *
 * The mid-stream refusal is the one 413 that is an `Error` (tus's
 * StreamLimiter throws `MaxFileExceededError`); the refusals checked before
 * any byte is written (a declared length over the limit, a Content-Length
 * that would pass it) are plain `{status_code, body}` objects and leave the
 * upload as it was. Uploads with a declared length are never removed here:
 * their body can at most fill the declared size.
 */
import type { DataStore, Locker } from '@tus/utils';
import type { Logger } from '../../shared/log.js';

/** How long the removal may wait for the upload's lock (another request of the same upload). */
const LOCK_TIMEOUT_MS = 10_000;

export class OversizeCleanup {
  /** Uploads created by requests still running: a creation-with-upload request has no upload id in its URL. */
  private readonly created = new WeakMap<Request, string>();

  /** `path`: the tus endpoint (`/v1/uploads`). */
  constructor(private readonly deps: { store: DataStore; locker: Locker; logger: Logger; path: string }) {}

  /** Remembers which upload `req` created (call from onUploadCreate). */
  track(req: Request, uploadId: string): void {
    this.created.set(req, uploadId);
  }

  /** tus's onResponseError: removes the upload when `err` is a mid-stream size refusal of a deferred-length upload. */
  async onResponseError(req: Request, err: Error | { status_code: number; body: string }): Promise<undefined> {
    if (!(err instanceof Error) || (err as { status_code?: unknown }).status_code !== 413) return undefined;
    const id = this.created.get(req) ?? this.uploadIdOf(req);
    if (!id) return undefined;
    try {
      const lock = this.deps.locker.newLock(id);
      await lock.lock(AbortSignal.timeout(LOCK_TIMEOUT_MS), () => undefined);
      try {
        const upload = await this.deps.store.getUpload(id);
        if (!upload.sizeIsDeferred) return undefined;
        await this.deps.store.remove(id);
        this.deps.logger.info({ upload: id, offset: upload.offset }, 'deferred-length upload over UPLOADS_MAX_BYTES removed');
      } finally {
        await lock.unlock();
      }
    } catch (error) {
      // Expiry removes it later; the client gets its 413 either way.
      this.deps.logger.warn({ err: error, upload: id }, 'could not remove an oversized upload; it will expire');
    }
    return undefined;
  }

  /** The upload id of a request on `<path>/<id>` (a PATCH). */
  private uploadIdOf(req: Request): string | undefined {
    const { pathname } = new URL(req.url);
    const prefix = `${this.deps.path}/`;
    return pathname.startsWith(prefix) && pathname.length > prefix.length ? pathname.slice(prefix.length) : undefined;
  }
}
