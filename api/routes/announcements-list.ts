import { AnnouncementsResponse, PageQuery, Problem } from '../../shared/http/schemas.js';
import { requireAuth } from '../http/authenticate.js';
import type { App } from '../http/app.js';
import { decodeCursor, page } from '../rooms/cursor.js';
import type { RouteDeps } from './deps.js';

/** GET /v1/announcements?limit=&cursor= — every announcement, newest first; any user. */
export function announcementsListRoute(app: App, deps: RouteDeps): void {
  app.get(
    '/v1/announcements',
    {
      onRequest: requireAuth(deps.verify),
      schema: {
        tags: ['announcements'],
        summary: 'List server announcements, newest first',
        querystring: PageQuery,
        response: { 200: AnnouncementsResponse, 400: Problem, 401: Problem },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const rows = await deps.announcements.list(limit + 1, decodeCursor('announcements', 2, cursor));
      const { items, nextCursor } = page(rows, limit, 'announcements', (r) => [r.k_ts, r.id], ({ k_ts: _, ...a }) => a);
      return { announcements: items, nextCursor };
    },
  );
}
