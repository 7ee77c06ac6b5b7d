/**
 * The `presence_changed` control event after the api changed a user's custom
 * status (see shared/broker/control.ts). Gateways turn it into `presence`
 * frames for the members of the listed rooms.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Principal } from '../../shared/auth/claims.js';
import type { PresenceStatus } from '../../shared/ports.js';
import { actorOf, announce } from '../rooms/events.js';
import type { RouteDeps } from '../routes/deps.js';

/**
 * Publishes the caller's presence after a status change. The status is
 * already stored, so nothing here fails the request: reading the event's
 * contents (online, lastSeen, rooms) and publishing are both logged on
 * failure, as `announce` does for room events. Delivery is at-most-once
 * anyway; clients read presence over HTTP when they (re)connect.
 */
export async function announceStatus(
  deps: Pick<RouteDeps, 'presence' | 'presenceRooms' | 'publishControl'>,
  log: FastifyBaseLogger,
  principal: Principal,
  status: PresenceStatus | null,
): Promise<void> {
  let online: boolean;
  let lastSeen: number | null;
  let rooms: string[];
  try {
    const [[state], found] = await Promise.all([deps.presence.states([principal.userId]), deps.presenceRooms(principal.userId)]);
    online = state?.online ?? false;
    lastSeen = state?.lastSeen ?? null;
    rooms = found;
  } catch (err) {
    log.error({ err, event: 'presence_changed' }, 'presence event not published after a status change; clients see it on their next read');
    return;
  }
  await announce(deps.publishControl, log, [
    { type: 'presence_changed', user: actorOf(principal), online, status, lastSeen, rooms },
  ]);
}
