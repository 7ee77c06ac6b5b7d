import { createHash } from 'node:crypto';
import { Problem, SearchQuery, SearchResponse } from '../../shared/http/schemas.js';
import { principalOf, requireAuth } from '../http/authenticate.js';
import type { App } from '../http/app.js';
import { invalidRequest } from '../http/problem.js';
import { decodeCursor, page } from '../rooms/cursor.js';
import { decide, enforce } from '../rooms/policy.js';
import { presentHit, type SearchAfter } from '../search/messages.js';
import type { RouteDeps } from './deps.js';

/**
 * The search a cursor belongs to: a cursor from another query or room would
 * give a page of some other result list, so it is refused instead.
 */
const scopeOf = (q: string, room: string | undefined) =>
  createHash('sha256').update(JSON.stringify([q, room ?? null])).digest('base64url').slice(0, 16);

/*
 * The position's parts go into SQL casts; anything malformed is refused with
 * 400 here rather than failing the cast (500).
 */
const RANK = /^\d+(\.\d+)?(e-?\d+)?$/;
const TS = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,6})?[+-]\d\d(:\d\d){0,2}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SEQ = /^[1-9]\d{0,15}$/;

function positionOf(cursor: string | undefined, scope: string): SearchAfter | undefined {
  const parts = decodeCursor('search', 5, cursor);
  if (parts === undefined) return undefined;
  const [cursorScope, rank, ts, room, seq] = parts as [string, string, string, string, string];
  if (cursorScope !== scope) {
    throw invalidRequest('querystring', '/cursor', 'belongs to another search (q or room differ); pass back nextCursor with the same q and room');
  }
  if (!RANK.test(rank) || !TS.test(ts) || !UUID.test(room) || !SEQ.test(seq)) {
    throw invalidRequest('querystring', '/cursor', 'is not a cursor of this listing; pass back nextCursor unchanged');
  }
  return [rank, ts, room, seq];
}

/**
 * GET /v1/search/messages?q=&room=&limit=&cursor= — full-text search over the
 * persisted messages of every room the caller is a member of, or of one room
 * they may read (members; anyone not banned for a public room). A private
 * room or DM answers 404 to non-members, as history does.
 */
export function searchMessagesRoute(app: App, deps: RouteDeps): void {
  app.get(
    '/v1/search/messages',
    {
      onRequest: requireAuth(deps.verify),
      schema: {
        tags: ['search'],
        summary: 'Search messages in my rooms, or in one room I may read',
        description:
          'Best match first (ts_rank), then newest. Covers messages once the worker has persisted them. ' +
          'Without `room`, only rooms the caller is a member of now.',
        querystring: SearchQuery,
        response: { 200: SearchResponse, 400: Problem, 401: Problem, 403: Problem, 404: Problem },
      },
    },
    async (request) => {
      const { q, room, limit, cursor } = request.query;
      const userId = principalOf(request).userId;
      const after = positionOf(cursor, scopeOf(q, room));
      if (room !== undefined) {
        const { room: found, relation } = await deps.rooms.view(room, userId);
        enforce(decide('history', relation, found));
      }
      const rows = await deps.search.search(userId, q, room, limit + 1, after);
      const scope = scopeOf(q, room);
      const { items, nextCursor } = page(rows, limit, 'search', (r) => [scope, r.k_rank, r.k_ts, r.room_id, String(r.seq)], presentHit);
      return { results: items, nextCursor };
    },
  );
}
