import Type from 'typebox';
import { Cursor, OnlineResponse, Problem, type OnlineUser } from '../../shared/http/schemas.js';
import { requireAuth } from '../http/authenticate.js';
import type { App } from '../http/app.js';
import { decodeCursor, encodeCursor } from '../rooms/cursor.js';
import type { RouteDeps } from './deps.js';

const OnlineQuery = Type.Object(
  { limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }), cursor: Type.Optional(Cursor) },
  { additionalProperties: false },
);

/**
 * GET /v1/online?limit=&cursor= — everyone online now, oldest online first,
 * with the total. Any authenticated user may ask (presence is not secret
 * within a deployment). The list is live: users coming and going between
 * pages shift it, so a user may be skipped or repeated across pages. The page
 * comes from Redis; usernames from one Postgres query. A user whose account
 * was deleted while online is left out of the page (but still in `total`).
 */
export function onlineRoute(app: App, deps: RouteDeps): void {
  app.get(
    '/v1/online',
    {
      onRequest: requireAuth(deps.verify),
      schema: {
        tags: ['presence'],
        summary: 'List the users online now',
        querystring: OnlineQuery,
        response: { 200: OnlineResponse, 400: Problem, 401: Problem, 503: Problem },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      // The port's cursor is wrapped so that a cursor of another listing is refused.
      const after = decodeCursor('online', 1, cursor)?.[0];
      const page = await deps.presence.online(limit, after);
      const ids = page.users.map((u) => u.userId);
      const [usernames, states] = await Promise.all([deps.users.usernames(ids), deps.presence.states(ids)]);
      const users: OnlineUser[] = [];
      page.users.forEach(({ userId, since }, i) => {
        const username = usernames.get(userId);
        if (username === undefined) return;
        users.push({ user: { id: userId, username }, since: new Date(since).toISOString(), status: states[i]!.status });
      });
      return { total: page.total, users, nextCursor: page.next === null ? null : encodeCursor('online', [page.next]) };
    },
  );
}
