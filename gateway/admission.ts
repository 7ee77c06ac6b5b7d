/**
 * Who may connect, for both transports: the refusals known at once
 * (draining, the connection limit), then the access token verified (with
 * revocation) and the user's rooms read. The raw upgrade (upgrade.ts) and the
 * Socket.IO connect (socketio/attach.ts) both admit through here, so a token
 * is accepted or refused with the same error on either.
 */
import type { ErrorCode } from '../shared/errors.js';
import type { AccessVerifier } from '../shared/auth/verify.js';
import type { Conn, Transport } from './connection.js';
import type { GatewayMetrics } from './metrics.js';
import type { RoomsOf } from './membership.js';

export interface AdmissionDeps {
  maxConnections: number;
  verify: AccessVerifier;
  roomsOf: RoomsOf;
  metrics: Pick<GatewayMetrics, 'upgrades'>;
  draining: () => boolean;
  /** Open sockets of both transports: the limit is the process's. */
  connections: () => number;
}

export interface Admission {
  /** The refusal a new connection gets now, before its token is even read; null if none. */
  refusal(): ErrorCode | null;
  /**
   * The new socket's state, once its token is verified and its rooms read.
   * Rejects with a ParleyError (unauthorized, session_revoked, …) or any
   * other error (a backing service failed: refuse with `unavailable`).
   */
  admit(token: string, transport: Transport, options: { hold: boolean; batch: boolean }): Promise<Conn>;
  /** Counts an attempt's outcome. */
  count(outcome: ErrorCode | 'accepted', transport: Transport): void;
}

export function createAdmission(deps: AdmissionDeps): Admission {
  return {
    refusal() {
      if (deps.draining()) return 'shutting_down';
      if (deps.connections() >= deps.maxConnections) return 'too_many_connections';
      return null;
    },
    async admit(token, transport, { hold, batch }) {
      const principal = await deps.verify(token);
      const roomsReadAt = Date.now();
      const { rooms, presenceRooms } = await deps.roomsOf(principal.userId);
      return {
        principal,
        transport,
        rooms: new Set(rooms),
        presenceRooms,
        subscribed: new Set(),
        roomsReadAt,
        closed: false,
        hold,
        batch,
        catchingUp: null,
        limits: null,
      };
    },
    count(outcome, transport) {
      deps.metrics.upgrades.inc({ outcome, transport });
    },
  };
}
