import { MyRoomsResponse, PageQuery, Problem } from '../../shared/http/schemas.js';
import { principalOf, requireAuth } from '../http/authenticate.js';
import type { App } from '../http/app.js';
import { decodeCursor, page } from '../rooms/cursor.js';
import { presentMyRoom } from '../rooms/present.js';
import type { RouteDeps } from './deps.js';

/**
 * GET /v1/rooms?limit=&cursor= — the caller's rooms, in the order they joined
 * them, each with `unread` = the room's current seq minus the caller's read
 * position (never below 0). The page's current seqs take one Redis MGET; if
 * Redis fails, the listing still answers, from Postgres's persisted seqs.
 */
export function roomsMineRoute(app: App, deps: RouteDeps): void {
  app.get(
    '/v1/rooms',
    {
      onRequest: requireAuth(deps.verify),
      schema: {
        tags: ['rooms'],
        summary: 'List the rooms I am a member of',
        querystring: PageQuery,
        response: { 200: MyRoomsResponse, 400: Problem, 401: Problem },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const after = decodeCursor('mine', 2, cursor);
      const rows = await deps.rooms.myRooms(principalOf(request).userId, limit + 1, after);
      const current = await deps.roomSeqs.current(
        rows.slice(0, limit).map((r) => r.id),
        (err) => request.log.warn({ err }, 'room seq counters unreadable; unread counts from Postgres only'),
      );
      const unread = (r: (typeof rows)[number]) => Math.max(0, (current.get(r.id) ?? 0) - r.last_read_seq);
      const { items, nextCursor } = page(rows, limit, 'mine', (r) => [r.k_ts, r.id], (r) => presentMyRoom(r, r.role, unread(r)));
      return { rooms: items, nextCursor };
    },
  );
}
