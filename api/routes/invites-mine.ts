import { InvitesResponse, Problem } from '../../shared/http/schemas.js';
import { principalOf, requireAuth } from '../http/authenticate.js';
import type { App } from '../http/app.js';
import { presentInvite } from '../rooms/present.js';
import type { RouteDeps } from './deps.js';

/** GET /v1/invites — the caller's pending invitations, newest first. */
export function invitesMineRoute(app: App, deps: RouteDeps): void {
  app.get(
    '/v1/invites',
    {
      onRequest: requireAuth(deps.verify),
      schema: {
        tags: ['invites'],
        summary: 'List my pending invitations',
        response: { 200: InvitesResponse, 401: Problem },
      },
    },
    async (request) => {
      const rows = await deps.rooms.invitesFor(principalOf(request).userId);
      return { invites: rows.map(presentInvite) };
    },
  );
}
