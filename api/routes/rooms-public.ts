import { Problem, PublicRoomsQuery, RoomsResponse } from '../../shared/http/schemas.js';
import { principalOf, requireAuth } from '../http/authenticate.js';
import type { App } from '../http/app.js';
import { decodeCursor, page } from '../rooms/cursor.js';
import { presentRoom } from '../rooms/present.js';
import type { RouteDeps } from './deps.js';

/**
 * GET /v1/rooms/public?q=&limit=&cursor= — public rooms by name, or with `q`
 * those whose name is similar to q (pg_trgm) or starts with it, most similar
 * first. Registered before /v1/rooms/:id (the static segment wins anyway).
 */
export function roomsPublicRoute(app: App, deps: RouteDeps): void {
  app.get(
    '/v1/rooms/public',
    {
      onRequest: requireAuth(deps.verify),
      schema: {
        tags: ['rooms'],
        summary: 'Find public rooms',
        querystring: PublicRoomsQuery,
        response: { 200: RoomsResponse, 400: Problem, 401: Problem },
      },
    },
    async (request) => {
      const me = principalOf(request);
      const { limit, cursor } = request.query;
      const q = request.query.q?.trim() || undefined;
      if (q === undefined) {
        const rows = await deps.rooms.publicRooms(me.userId, undefined, limit + 1, decodeCursor('public', 2, cursor));
        const { items, nextCursor } = page(rows, limit, 'public', (r) => [r.k_name, r.id], presentRoom);
        return { rooms: items, nextCursor };
      }
      // The query is part of the listing: a cursor of another search is refused.
      const listing = `search:${q.toLowerCase()}`;
      const rows = await deps.rooms.publicRooms(me.userId, q, limit + 1, decodeCursor(listing, 3, cursor));
      const { items, nextCursor } = page(rows, limit, listing, (r) => [r.k_sim ?? '', r.k_name, r.id], presentRoom);
      return { rooms: items, nextCursor };
    },
  );
}
