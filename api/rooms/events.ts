/**
 * Control events after a committed room change (see shared/broker/control.ts).
 *
 * Publishing happens only after the transaction committed, so a gateway that
 * reloads from Postgres never sees less than the events say. A publish that
 * fails is logged and does not fail the request: the change is committed and
 * answering an error would invite a retry of something that already happened.
 * Delivery is at-most-once anyway; gateways resynchronise memberships from
 * Postgres when their Redis subscription reconnects, and clients see the
 * change on their next connect.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { ControlEvent } from '../../shared/broker/control.js';
import type { Principal } from '../../shared/auth/claims.js';

export type PublishControl = (event: ControlEvent) => Promise<void>;

export async function announce(publish: PublishControl, log: FastifyBaseLogger, events: ControlEvent[]): Promise<void> {
  for (const event of events) {
    try {
      await publish(event);
    } catch (err) {
      log.error(
        { err, event: event.type, room: 'room' in event ? event.room : undefined },
        'control event not published after commit; gateways catch up when they resynchronise',
      );
    }
  }
}

/** The `{id, username}` of a user in an event. */
export const who = (user: { id: string; username: string }) => ({ id: user.id, username: user.username });
export const actorOf = (p: Principal) => ({ id: p.userId, username: p.username });
