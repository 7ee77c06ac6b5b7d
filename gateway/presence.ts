/**
 * This gateway's part in presence (see the Presence contract in shared/ports.ts):
 * it registers each socket on open and close, renews its lease every
 * heartbeat, reaps gateways whose lease expired (any gateway may; the
 * scripts make that safe), re-registers its sockets if its own lease had
 * lapsed (a long pause), leaves at shutdown, and announces every online and
 * offline transition it observes as a `presence_changed` control event.
 */
import type { Logger } from '../shared/log.js';
import type { ControlEvent } from '../shared/broker/control.js';
import type { Presence, PresenceState } from '../shared/ports.js';
import type { PresenceConfig } from '../shared/config/slices.js';

/** Who hears of a user's presence: their name, and the rooms that get the events. */
export interface Audience {
  username: string;
  rooms: string[];
}

export interface GatewayPresenceDeps {
  presence: Presence;
  gatewayId: string;
  config: PresenceConfig;
  /** The user's name and the rooms that get their presence events (null: unknown user). */
  audience: (userId: string) => Promise<Audience | null>;
  publish: (event: ControlEvent) => Promise<void>;
  /** The user id of every socket open on this gateway (one entry per socket). */
  localSockets: () => string[];
  logger: Logger;
}

export class GatewayPresence {
  private timer: NodeJS.Timeout | null = null;
  private beating = false;
  /** Connects and disconnects still registering or announcing: a drain waits for them (`settled`). */
  private readonly inflight = new Set<Promise<void>>();

  constructor(private readonly deps: GatewayPresenceDeps) {}

  /**
   * `audience`: the user's name and presence rooms when the caller has just
   * read them (a new socket), so the online announcement needs no read of its
   * own; the state comes from the connect itself.
   */
  opened(userId: string, audience?: Audience): void {
    this.track(
      this.deps.presence.connect(this.deps.gatewayId, userId).then(
        async (state) => {
          if (state) await this.announce(userId, state, audience);
        },
        (err: unknown) => this.deps.logger.warn({ err }, 'presence connect failed'),
      ),
    );
  }

  closed(userId: string): void {
    this.track(
      this.deps.presence.disconnect(this.deps.gatewayId, userId).then(
        async (wentOffline) => {
          if (wentOffline) await this.announce(userId);
        },
        (err: unknown) => this.deps.logger.warn({ err }, 'presence disconnect failed'),
      ),
    );
  }

  /** Resolves once every connect and disconnect so far is registered and announced. */
  async settled(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  private track(work: Promise<void>): void {
    this.inflight.add(work);
    void work.finally(() => this.inflight.delete(work));
  }

  /** Takes the lease now, then renews it and reaps every heartbeat. */
  async start(): Promise<void> {
    await this.beat(true);
    this.timer = setInterval(() => void this.beat(false), this.deps.config.heartbeatMs);
    this.timer.unref();
  }

  /**
   * Stops renewing and leaves: this gateway's users that have no other socket
   * go offline now. Waits for the disconnects in flight first, so every
   * offline event is announced while Redis is still open (a drain closes the
   * sockets, then calls this, then closes Redis).
   */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.settled();
    const offline = await this.deps.presence.leave(this.deps.gatewayId);
    await Promise.allSettled(offline.map((u) => this.announce(u)));
  }

  private async beat(first: boolean): Promise<void> {
    if (this.beating) return;
    this.beating = true;
    const { presence, gatewayId, config } = this.deps;
    try {
      const lapsed = await presence.heartbeat(gatewayId, config.heartbeatMs * config.leaseHeartbeats);
      if (lapsed && !first) {
        this.deps.logger.warn('presence lease had lapsed and was reaped; registering local sockets again');
        for (const userId of this.deps.localSockets()) this.opened(userId);
      }
      const offline = await presence.reapExpired();
      await Promise.allSettled(offline.map((u) => this.announce(u)));
    } catch (err) {
      this.deps.logger.warn({ err }, 'presence heartbeat failed');
    } finally {
      this.beating = false;
    }
  }

  private async announce(userId: string, known?: PresenceState, knownAudience?: Audience): Promise<void> {
    try {
      // Known state and rooms take no await that a later announcement of the
      // same user could overtake: announcements of one user leave in order.
      const [[state], audience] = await Promise.all([
        known ? [known] : this.deps.presence.states([userId]),
        knownAudience ?? this.deps.audience(userId),
      ]);
      if (!state || !audience) return;
      await this.deps.publish({
        type: 'presence_changed',
        user: { id: userId, username: audience.username },
        online: state.online,
        status: state.status,
        lastSeen: state.lastSeen,
        rooms: audience.rooms,
      });
    } catch (err) {
      this.deps.logger.warn({ err, userId }, 'presence announcement failed');
    }
  }
}
