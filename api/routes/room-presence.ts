import { PageQuery, Problem, RoomParams, RoomPresenceResponse, type OnlineMember } from '../../shared/http/schemas.js';
import { principalOf, requireAuth } from '../http/authenticate.js';
import type { App } from '../http/app.js';
import { decodeCursor, encodeCursor } from '../rooms/cursor.js';
import { decide, enforce } from '../rooms/policy.js';
import type { MemberRow } from '../rooms/repository.js';
import type { RouteDeps } from './deps.js';

/**
 * One request scans at most this many members per member asked for. Online
 * members can be rare in a big room (the global room); without a bound a
 * request could walk every member. The client pages on instead.
 */
const SCAN_FACTOR = 10;
/** Members read from Postgres (and asked of Redis) per step of the scan. */
const BATCH = 100;

/**
 * GET /v1/rooms/{id}/presence?limit=&cursor= — the room's online members.
 * Scans the members in join order (the members listing's keyset), asking
 * Redis about each batch, until `limit` online members are found or
 * SCAN_FACTOR × limit members were scanned. So a page may hold fewer than
 * `limit` members, even none, while `nextCursor` is non-null: the cursor
 * continues the member scan, and null means every member was scanned.
 * Visible as the members listing is: members; anyone not banned for public rooms.
 */
export function roomPresenceRoute(app: App, deps: RouteDeps): void {
  app.get(
    '/v1/rooms/:id/presence',
    {
      onRequest: requireAuth(deps.verify),
      schema: {
        tags: ['presence'],
        summary: 'List a room\'s online members',
        description:
          'Scans members in join order until `limit` online ones are found or 10 × `limit` members were scanned; a page may hold fewer than `limit` while `nextCursor` is non-null.',
        params: RoomParams,
        querystring: PageQuery,
        response: { 200: RoomPresenceResponse, 400: Problem, 401: Problem, 403: Problem, 404: Problem, 503: Problem },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { limit, cursor } = request.query;
      const { room, relation } = await deps.rooms.view(id, principalOf(request).userId);
      // Presence of a room is as visible as its member list.
      enforce(decide('list_members', relation, room));

      const cap = SCAN_FACTOR * limit;
      const members: OnlineMember[] = [];
      let after = decodeCursor('presence', 2, cursor);
      let last: MemberRow | undefined;
      let scanned = 0;
      let more = true;
      while (more && members.length < limit && scanned < cap) {
        const want = Math.min(BATCH, cap - scanned);
        // One extra row only tells whether members remain after this batch.
        const rows = await deps.rooms.members(id, want + 1, after);
        more = rows.length > want;
        const batch = rows.slice(0, want);
        if (batch.length === 0) break;
        const states = await deps.presence.states(batch.map((r) => r.user_id));
        for (let i = 0; i < batch.length; i++) {
          const row = batch[i]!;
          const state = states[i]!;
          last = row;
          scanned++;
          if (state.online) {
            const member: OnlineMember = { user: { id: row.user_id, username: row.username }, role: row.role, status: state.status };
            // For an online user lastSeen is when they came online.
            if (state.lastSeen !== null) member.since = new Date(state.lastSeen).toISOString();
            members.push(member);
          }
          if (members.length === limit) {
            // Stopping inside the batch: the rest of it is still to scan.
            if (i < batch.length - 1) more = true;
            break;
          }
        }
        after = [last!.k_ts, last!.user_id];
      }
      const nextCursor = more && last ? encodeCursor('presence', [last.k_ts, last.user_id]) : null;
      return { members, nextCursor };
    },
  );
}
