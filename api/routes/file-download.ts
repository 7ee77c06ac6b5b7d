import contentDisposition from 'content-disposition';
import Type from 'typebox';
import type { FastifyBaseLogger } from 'fastify';
import { Problem } from '../../shared/http/schemas.js';
import { Uuid } from '../../shared/protocol/frames.js';
import { ParleyError } from '../../shared/errors.js';
import { principalOf, requireAuth } from '../http/authenticate.js';
import type { App } from '../http/app.js';
import { decide } from '../rooms/policy.js';
import type { RouteDeps } from './deps.js';
import { ContentMissing, type ByteRange } from '../uploads/content.js';

/** One byte range: `bytes=a-b`, `bytes=a-` or `bytes=-n`. Anything else is served whole. */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | null {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  return start > end || start >= size ? 'unsatisfiable' : { start, end };
}

/**
 * GET /v1/files/{id} — a file of a room, for the room's members only (404 for
 * everyone else, whether or not it exists). Streams from the store, never
 * buffering the whole file; supports one byte range (206) and ETag /
 * If-None-Match (304). The stored name goes in Content-Disposition, encoded
 * per RFC 6266/5987, so quotes, newlines and unicode cannot break the header.
 */
export function fileDownloadRoute(app: App, deps: RouteDeps): void {
  app.get(
    '/v1/files/:id',
    {
      onRequest: requireAuth(deps.verify),
      schema: {
        tags: ['files'],
        summary: 'Download a file (room members)',
        params: Type.Object({ id: Uuid }),
        // Success bodies are the file's bytes (200, 206) or nothing (304); errors are problem+json.
        response: {
          200: Type.String({ description: 'The whole file' }),
          206: Type.String({ description: 'The requested byte range' }),
          304: Type.Null({ description: 'Not modified (If-None-Match)' }),
          400: Problem,
          401: Problem,
          404: Problem,
          416: Problem,
        },
      },
    },
    async (request, reply) => {
      const file = await deps.files.byId(request.params.id);
      if (!file) throw new ParleyError('not_found', 'No such file');
      const view = await deps.rooms.view(file.room_id, principalOf(request).userId);
      // Downloading is taking part in the room: members only, like reacting.
      if (decide('react', view.relation, view.room) !== 'allow') throw new ParleyError('not_found', 'No such file');

      const etag = `"${file.sha256}"`;
      reply
        .header('etag', etag)
        .header('accept-ranges', 'bytes')
        .header('content-type', file.content_type)
        // An ASCII fallback name makes the header pure ASCII, with the exact name in filename*.
        .header('content-disposition', contentDisposition(file.name, { fallback: file.name.replace(/[^\x20-\x7e]/g, '_') }))
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'private, max-age=0, must-revalidate');
      const raw = reply as unknown as import('fastify').FastifyReply;
      if (request.headers['if-none-match'] === etag) return raw.code(304).send();

      const range = parseRange(request.headers.range, file.size);
      if (range === 'unsatisfiable') {
        reply.header('content-range', `bytes */${file.size}`);
        throw new ParleyError('range_not_satisfiable', `The file has ${file.size} bytes`);
      }
      if (range) raw.code(206).header('content-range', `bytes ${range.start}-${range.end}/${file.size}`);
      const bytes = range ?? undefined;
      raw.header('content-length', bytes ? bytes.end - bytes.start + 1 : file.size);
      return raw.send(await open(deps, request.log, file.storage_key, file.id, bytes));
    },
  );
}

/** A recorded file whose bytes are gone (deleted from the bucket by hand, say) is answered as missing, and logged. */
async function open(deps: RouteDeps, log: FastifyBaseLogger, key: string, fileId: string, range: ByteRange | undefined) {
  try {
    return await deps.content.read(key, range);
  } catch (err) {
    if (!(err instanceof ContentMissing)) throw err;
    log.warn({ file: fileId, key }, 'file record without stored content');
    throw new ParleyError('not_found', 'No such file');
  }
}
