/**
 * The life of a socket after its upgrade: registered and subscribed to its
 * rooms on open (then `welcome`), released on close, ended when its session
 * is revoked, and closed with 1012, spread over a window, when the gateway
 * drains.
 */
import type { Logger } from '../shared/log.js';
import { PROTOCOL_VERSION, type Announcement } from '../shared/protocol/frames.js';
import type { SocketConfig } from './config.js';
import type { Sender, Socket, Transport } from './connection.js';
import type { GatewayMetrics } from './metrics.js';
import type { GatewayPresence } from './presence.js';
import type { LiveMembership } from './live-membership.js';
import type { RateLimits } from './rate-limits.js';
import type { SessionIndex } from './sessions.js';
import { ANNOUNCEMENTS_TOPIC } from './control/context.js';

export interface SocketsDeps {
  config: Pick<SocketConfig, 'maxFrameBytes' | 'maxMessageBytes' | 'idleTimeoutSeconds' | 'drainSpreadMs'>;
  sender: Sender;
  sessions: SessionIndex;
  rateLimits: RateLimits;
  presence: GatewayPresence;
  membership: LiveMembership;
  metrics: GatewayMetrics;
  logger: Logger;
  isRevoked: (sessionId: string) => Promise<boolean>;
  /** The latest announcements, oldest first, sent to each socket after `welcome`. */
  latestAnnouncements: () => Promise<Announcement[]>;
}

export class Sockets {
  /** Open sockets per transport, for the connections gauge. */
  private readonly open: Record<Transport, number> = { websocket: 0, socketio: 0 };

  constructor(private readonly deps: SocketsDeps) {
    // Both series exist from the start, so dashboards and alerts see 0, not nothing.
    for (const transport of Object.keys(this.open) as Transport[]) deps.metrics.connections.set({ transport }, 0);
  }

  get size(): number {
    return this.deps.sessions.size;
  }

  opened(ws: Socket): void {
    const { sender, sessions, config, logger } = this.deps;
    const conn = ws.getUserData();
    sessions.add(ws);
    this.deps.rateLimits.attach(conn.principal.userId);
    const { userId, username } = conn.principal;
    this.deps.presence.opened(userId, conn.presenceRooms ? { username, rooms: conn.presenceRooms } : undefined);
    conn.presenceRooms = null;
    this.deps.metrics.connections.set({ transport: conn.transport }, ++this.open[conn.transport]);
    // `welcome` promises live delivery from here on, so it waits until every
    // room's Redis subscription is live. No ws.cork() anywhere in open: it
    // has the same epilogue problem as res.cork() (see upgrade.ts).
    this.deps.membership.attach(ws).then(
      () => {
        if (conn.closed) return;
        sender.send(ws, {
          type: 'welcome',
          v: PROTOCOL_VERSION,
          user: { id: conn.principal.userId, username: conn.principal.username },
          rooms: [...conn.subscribed],
          limits: { maxFrameBytes: config.maxFrameBytes, maxMessageBytes: config.maxMessageBytes, idleTimeoutSeconds: config.idleTimeoutSeconds },
        });
        // Live announcements from now on, and the latest ones so far (a live one may
        // arrive twice, once each way: clients keep announcements by id).
        ws.subscribe(ANNOUNCEMENTS_TOPIC);
        this.deps.latestAnnouncements().then(
          (list) => {
            for (const a of list) sender.send(ws, { type: 'announcement', ...a });
          },
          (err: unknown) => logger.warn({ err }, 'could not read the latest announcements'),
        );
      },
      () => sender.fail(ws, 'unavailable', 'room subscription failed', 'Could not subscribe to your rooms; reconnect'),
    );
    // Closes the race where the session was revoked after the upgrade's
    // check but before this socket was indexed (the event found nothing to close).
    this.deps.isRevoked(conn.principal.sessionId).then(
      (revoked) => revoked && this.closeSession(conn.principal.sessionId, 'revoked'),
      () => undefined,
    );
  }

  closed(ws: Socket, code: number): void {
    const conn = ws.getUserData();
    conn.closed = true;
    this.deps.metrics.closes.inc({ code: String(code), transport: conn.transport });
    // Closed before it opened (refused while draining): nothing was registered.
    if (!this.deps.sessions.remove(ws)) return;
    this.deps.membership.detach(ws);
    this.deps.rateLimits.detach(conn.principal.userId);
    this.deps.presence.closed(conn.principal.userId);
    this.deps.metrics.connections.set({ transport: conn.transport }, --this.open[conn.transport]);
  }

  /** Ends every local socket of the session: a `session_revoked` frame, then 1008. */
  closeSession(sessionId: string, reason: string): void {
    for (const ws of this.deps.sessions.socketsOf(sessionId)) {
      this.deps.sender.fail(ws, 'session_revoked', reason === 'logout' ? 'session logged out' : 'session revoked');
    }
  }

  /**
   * Closes every socket with 1012 (`shutting_down`), in equal batches spread
   * over GATEWAY_DRAIN_SPREAD_MS, so that clients do not all reconnect to the
   * other gateways in the same instant. Resolves once all are closed.
   */
  async closeAll(): Promise<void> {
    const sockets = this.deps.sessions.all();
    const spread = this.deps.config.drainSpreadMs;
    // Up to 20 batches a second over the window; one batch when there is no window.
    const batches = Math.max(1, Math.min(sockets.length, Math.floor(spread / 50)));
    const size = Math.ceil(sockets.length / batches);
    for (let i = 0; i < sockets.length; i += size) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, spread / batches));
      for (const ws of sockets.slice(i, i + size)) this.deps.sender.close(ws, 'shutting_down', 'restarting');
    }
  }
}
