/**
 * File uploads over tus 1.0 with tus-js-client (docs/protocol.md "Files"):
 * resumable, retried, and authenticated with the current access token on
 * every request (refreshed first when it is due, and after a 401).
 *
 * tus-js-client is loaded on the first upload only. It reads Blobs in
 * browsers and Buffers and Readables in Node; the SDK adds a reader for
 * Uint8Array everywhere and for Blob in Node, so the same call works in both.
 * Upload URLs are not stored for resuming across page loads (the handle
 * resumes within the session: `start()` after `abort()` or a failure).
 */
import type { Upload as TusUpload, DetailedError, HttpRequest, UploadOptions as TusOptions } from 'tus-js-client';
import { ParleyRequestError, codeForStatus, isErrorCode } from './errors.js';
import type { UploadHandle, UploadOptions } from './types.js';

export interface UploadDeps {
  /** http(s)://api/v1/uploads */
  endpoint: string;
  /** The access token to send now (after a refresh when one is due). */
  token(): Promise<string>;
  /** A request was refused 401: refresh before the retry. */
  unauthorized(): void;
}

/** Bytes per PATCH unless the caller says otherwise. */
export const DEFAULT_CHUNK_SIZE = 8 * 1024 * 1024;

interface SliceResult {
  value: unknown;
  done: boolean;
}
interface FileSource {
  size: number;
  slice(start: number, end: number): Promise<SliceResult>;
  close(): void;
}
interface FileReader {
  openFile(input: unknown, chunkSize: number): Promise<FileSource>;
}

/** Bytes in memory: slices are views (the HTTP stacks of both environments send Uint8Array). */
function bytesSource(bytes: Uint8Array): FileSource {
  return {
    size: bytes.byteLength,
    slice: async (start, end) => {
      const value = bytes.subarray(start, Math.min(end, bytes.byteLength)) as Uint8Array & { size?: number };
      value.size = value.byteLength;
      return { value, done: end >= bytes.byteLength };
    },
    close: () => undefined,
  };
}

/** A Blob read slice by slice into bytes (Node's tus reader does not take Blobs). */
function blobSource(blob: Blob): FileSource {
  return {
    size: blob.size,
    slice: async (start, end) => {
      const value = new Uint8Array(await blob.slice(start, end).arrayBuffer()) as Uint8Array & { size?: number };
      value.size = value.byteLength;
      return { value, done: end >= blob.size };
    },
    close: () => undefined,
  };
}

const isBlob = (value: unknown): value is Blob =>
  typeof Blob !== 'undefined' && value instanceof Blob;

/** A Node Buffer (tus's own Node reader takes those), looked up without importing anything from Node. */
const isNodeBuffer = (value: unknown): boolean =>
  (globalThis as { Buffer?: { isBuffer(v: unknown): boolean } }).Buffer?.isBuffer(value) ?? false;

function readerFor(fallback: FileReader): FileReader {
  return {
    async openFile(input, chunkSize) {
      if (input instanceof Uint8Array && !isNodeBuffer(input)) return bytesSource(input);
      try {
        return await fallback.openFile(input, chunkSize);
      } catch (err) {
        if (isBlob(input)) return blobSource(input);
        throw err;
      }
    },
  };
}

/** A tus failure as a ParleyRequestError, with the problem body's code when there is one. */
function toRequestError(err: Error): ParleyRequestError {
  const response = (err as DetailedError).originalResponse;
  if (!response) return new ParleyRequestError('unavailable', err.message, { status: null, retryable: true, cause: err });
  const status = response.getStatus();
  try {
    const problem = JSON.parse(response.getBody()) as { code?: unknown; detail?: string; retryable?: boolean };
    if (isErrorCode(problem.code)) {
      return new ParleyRequestError(problem.code, problem.detail ?? err.message, { status, ...(problem.retryable === undefined ? {} : { retryable: problem.retryable }), cause: err });
    }
  } catch {
    // not a problem body
  }
  return new ParleyRequestError(codeForStatus(status), err.message, { status, cause: err });
}

let tusModule: Promise<typeof import('tus-js-client')> | null = null;
const loadTus = () => (tusModule ??= import('tus-js-client'));

export function startUpload(deps: UploadDeps, room: string, file: Blob | Uint8Array, options: UploadOptions): UploadHandle {
  let upload: TusUpload | null = null;
  let settle: { resolve(): void; reject(error: Error): void } | null = null;
  let done!: Promise<void>;
  let finished = false;
  let failed = false;
  let aborted = false;
  let cancelled = false;
  const fresh = () => {
    done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    // Nobody may be listening yet: a rejection is theirs to see, not an unhandled one.
    done.catch(() => undefined);
  };
  fresh();
  const filetype = options.filetype || (isBlob(file) && file.type) || 'application/octet-stream';

  const create = async (): Promise<TusUpload> => {
    const tus = await loadTus();
    const Upload = tus.Upload ?? (tus as unknown as { default: typeof tus }).default.Upload;
    const defaults = tus.defaultOptions ?? (tus as unknown as { default: typeof tus }).default.defaultOptions;
    const tusOptions: TusOptions = {
      endpoint: deps.endpoint,
      metadata: { room, filename: options.filename, filetype },
      chunkSize: options.chunkSize ?? DEFAULT_CHUNK_SIZE,
      // Nothing kept for resuming across page loads: the handle resumes within the session.
      fingerprint: async () => null as unknown as string,
      storeFingerprintForResuming: false,
      fileReader: readerFor(defaults.fileReader as unknown as FileReader) as unknown as TusOptions['fileReader'],
      onBeforeRequest: async (req: HttpRequest) => req.setHeader('Authorization', `Bearer ${await deps.token()}`),
      onShouldRetry: (err, _attempt, _options) => {
        const status = err.originalResponse?.getStatus() ?? 0;
        if (status === 401) {
          deps.unauthorized();
          return true;
        }
        return status === 0 || status >= 500 || status === 409 || status === 423;
      },
      onProgress: (sent, total) => options.onProgress?.(sent, total),
      onSuccess: () => {
        finished = true;
        settle?.resolve();
      },
      onError: (err) => fail(toRequestError(err)),
    };
    return new Upload(file as Blob, tusOptions);
  };

  const fail = (error: ParleyRequestError): void => {
    failed = true;
    settle?.reject(error);
  };

  const begin = (): void => {
    aborted = false;
    void (async () => {
      try {
        upload ??= await create();
        if (!aborted) upload.start();
      } catch (err) {
        fail(err instanceof ParleyRequestError ? err : new ParleyRequestError('bad_request', err instanceof Error ? err.message : String(err)));
      }
    })();
  };

  const handle: UploadHandle = {
    get done() {
      return done;
    },
    async abort() {
      aborted = true;
      await upload?.abort();
    },
    async cancel() {
      if (finished || cancelled) return;
      cancelled = true;
      aborted = true;
      // abort(true) also sends the tus DELETE for an upload the server created.
      await upload?.abort(true);
      // Not a server error: the standard cancellation error, as fetch's AbortSignal gives.
      failed = true;
      settle?.reject(new DOMException('The upload was cancelled', 'AbortError'));
    },
    start() {
      if (finished || cancelled) return;
      // After a failure the old promise has rejected: the resumed upload gets a new one.
      if (failed) {
        failed = false;
        fresh();
      }
      begin();
    },
  };
  begin();
  return handle;
}
