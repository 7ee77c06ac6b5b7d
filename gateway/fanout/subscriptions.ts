/**
 * One Redis subscription per room that has local sockets.
 *
 * Sockets `acquire` their rooms and `release` them on close; the first
 * acquire SUBSCRIBEs the room's channel and the last release UNSUBSCRIBEs it.
 * `acquire` resolves once the subscription is live, so a socket is told it is
 * connected (`welcome`) only when it can no longer miss a live message.
 * A failed SUBSCRIBE rejects every waiter, and the next acquire tries again.
 *
 * The relay (RoomRelay) hooks in around each subscription: it reads the
 * room's seq before the SUBSCRIBE (so anything after it is relayed or
 * repaired), learns when the subscription is confirmed, and forgets the room
 * once it is released.
 */
import type { Logger } from '../../shared/log.js';
import type { RoomSubscriber } from '../../shared/ports.js';
import type { GatewayMetrics } from '../metrics.js';

export interface SubscriptionHooks {
  /** Before SUBSCRIBE; a rejection fails the acquire. */
  opening(room: string): Promise<void>;
  /** SUBSCRIBE confirmed: what arrives from now on comes from this subscription. */
  live(room: string): void;
  /** The last holder released the room. */
  closed(room: string): void;
}

interface Entry {
  count: number;
  ready: Promise<void>;
  failed: boolean;
}

export class RoomSubscriptions {
  private readonly rooms = new Map<string, Entry>();

  constructor(
    private readonly bus: RoomSubscriber,
    private readonly hooks: SubscriptionHooks,
    private readonly logger: Logger,
    private readonly metrics: Pick<GatewayMetrics, 'roomSubscriptions'>,
  ) {}

  /**
   * Counts one more local holder of the room; resolves when its subscription
   * is live. Every acquire must be paired with exactly one release, whether
   * it resolved or not.
   */
  acquire(room: string): Promise<void> {
    let entry = this.rooms.get(room);
    if (!entry) {
      entry = { count: 0, ready: Promise.resolve(), failed: false };
      this.rooms.set(room, entry);
      this.metrics.roomSubscriptions.inc();
      this.subscribe(room, entry);
    } else if (entry.failed) {
      this.subscribe(room, entry);
    }
    entry.count++;
    return entry.ready;
  }

  release(room: string): void {
    const entry = this.rooms.get(room);
    if (!entry || --entry.count > 0) return;
    this.rooms.delete(room);
    this.metrics.roomSubscriptions.dec();
    this.hooks.closed(room);
    this.bus.unsubscribe(room).catch((err: unknown) => this.logger.warn({ err, room }, 'redis unsubscribe failed'));
  }

  /** Resolves once the room's subscription is live (at once when this gateway holds none for it). */
  whenLive(room: string): Promise<void> {
    return this.rooms.get(room)?.ready ?? Promise.resolve();
  }

  /** Rooms with a live or pending Redis subscription. */
  get size(): number {
    return this.rooms.size;
  }

  private subscribe(room: string, entry: Entry): void {
    entry.failed = false;
    const ready = this.hooks.opening(room).then(async () => {
      // Released while opening: nothing to subscribe (and nothing to unsubscribe later).
      if (this.rooms.get(room) !== entry) return;
      await this.bus.subscribe(room);
      // Released while subscribing: the entry is gone and `closed` already ran.
      if (this.rooms.get(room) === entry) this.hooks.live(room);
    });
    entry.ready = ready;
    ready.catch((err: unknown) => {
      if (entry.ready === ready) entry.failed = true;
      this.logger.error({ err, room }, 'redis subscribe failed');
    });
  }
}
