/**
 * After the bus reconnected: control events and room messages published
 * meanwhile were lost (pub/sub is at-most-once). Every live session is
 * checked for revocation again, every local user's rooms are reloaded from
 * Postgres (LiveMembership.resync), and every relayed room is repaired from
 * its log (RoomRelay.resync).
 */
import type { Logger } from '../../shared/log.js';
import type { LiveMembership } from '../live-membership.js';
import type { RoomRelay } from '../fanout/relay.js';
import type { SessionIndex } from '../sessions.js';

export interface ResyncDeps {
  sessions: SessionIndex;
  isRevoked: (sessionId: string) => Promise<boolean>;
  closeSession: (sessionId: string, reason: string) => void;
  membership: LiveMembership;
  relay: RoomRelay;
  logger: Logger;
}

export function onResync(deps: ResyncDeps): void {
  deps.logger.warn({ rooms: deps.relay.size }, 'subscriber reconnected: repairing rooms, reloading memberships and revocations');
  deps.relay.resync('resync');
  for (const sessionId of deps.sessions.sessionIds()) {
    deps.isRevoked(sessionId).then(
      (revoked) => revoked && deps.closeSession(sessionId, 'revoked'),
      (err: unknown) => deps.logger.warn({ err }, 'revocation re-check failed'),
    );
  }
  deps.membership.resync().catch((err: unknown) => deps.logger.error({ err }, 'membership resync failed'));
}
