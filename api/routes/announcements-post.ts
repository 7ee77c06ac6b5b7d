import { Announcement, AnnouncementRequest, Problem } from '../../shared/http/schemas.js';
import { principalOf, requireAuth } from '../http/authenticate.js';
import type { App } from '../http/app.js';
import { announce } from '../rooms/events.js';
import type { RouteDeps } from './deps.js';

/**
 * POST /v1/announcements {body} — server admins post an announcement. After
 * the row is committed it goes to the head of the Redis list of the latest
 * ones (for sockets that connect later) and out as an `announcement` control
 * event (to every socket connected now). Neither step can fail the request:
 * the announcement exists, and an error would invite a duplicate; a missed
 * list update is logged, and the next post's list still holds the rest.
 */
export function announcementsPostRoute(app: App, deps: RouteDeps): void {
  app.post(
    '/v1/announcements',
    {
      onRequest: requireAuth(deps.verify),
      schema: {
        tags: ['announcements'],
        summary: 'Post a server announcement (server admins only)',
        body: AnnouncementRequest,
        response: { 201: Announcement, 400: Problem, 401: Problem, 403: Problem },
      },
    },
    async (request, reply) => {
      const announcement = await deps.announcements.post(principalOf(request).userId, request.body.body);
      try {
        await deps.announcements.remember(announcement);
      } catch (err) {
        request.log.error({ err, announcement: announcement.id }, 'announcement stored but not added to the latest list in Redis');
      }
      await announce(deps.publishControl, request.log, [{ type: 'announcement', ...announcement }]);
      return reply.code(201).send(announcement);
    },
  );
}
