import { MyRoomsResponse, PageQuery, Problem } from '../../shared/http/schemas.js';
import { principalOf, requireAuth } from '../http/authenticate.js';
import type { App } from '../http/app.js';
import { decodeCursor, page } from '../rooms/cursor.js';
import { presentMyRoom } from '../rooms/present.js';
import type { RouteDeps } from './deps.js';

/** GET /v1/rooms?limit=&cursor= — the caller's rooms, in the order they joined them. */
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
      const { items, nextCursor } = page(rows, limit, 'mine', (r) => [r.k_ts, r.id], (r) => presentMyRoom(r, r.role));
      return { rooms: items, nextCursor };
    },
  );
}
