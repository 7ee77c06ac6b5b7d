/**
 * The relay: hands each room's live messages to the room's local topic, in
 * seq order, without a silent gap.
 *
 * Pub/sub is at-most-once: while the subscriber link is down (a reconnect, a
 * Redis restart) messages are lost to this gateway. So, per relayed room, the
 * relay knows the last seq it delivered (read from the room's counter before
 * subscribing, then advanced by every delivery; a room without a counter yet
 * takes its first message's), and repairs from the room log (RoomLog.since)
 * whenever
 * - a message arrives with a seq beyond the next one (the gap is read from the
 *   log and delivered first; the message and any that follow wait, in order);
 * - the subscriber reconnected (`resync`: anything, up to the newest, may be missing);
 * - a partition's Redis epoch changed (data loss: the counter is reseeded and
 *   the skipped range announced).
 * What the log no longer holds is announced to the room's sockets as one
 * `gap` frame naming the range, so clients read it from history. A gap is
 * repaired or announced, never silent.
 *
 * A seq at or below one already received from this subscription means the
 * room's counter went backwards (Redis lost acknowledged writes): the epoch is
 * replaced (CAS, so several gateways replace it once) and the room reseeded
 * past the loss.
 */
import type { Logger } from '../../shared/log.js';
import type { RoomLog, RoomLogSnapshot } from '../../shared/ports.js';
import type { ChatMessage, ServerFrame } from '../../shared/protocol/frames.js';
import { partitionOf } from '../../shared/redis/keys.js';
import type { GatewayMetrics } from '../metrics.js';
import type { CatchUps, Relayed } from './catch-up.js';

export interface RelayDeps {
  roomLog: RoomLog;
  /** Writes a frame to every local socket on the room's topic, encoded once. */
  broadcast: (room: string, frame: ServerFrame) => void;
  catchUps: CatchUps;
  /** Replaces a partition's epoch if it is still `seen` (RedisEpochs.bump). */
  bump: (partition: number, seen: string, why: string) => Promise<unknown>;
  metrics: GatewayMetrics;
  logger: Logger;
  /** Live messages a room holds while its gap is read; past this the gap is announced instead. */
  maxPending: number;
  /** First retry delay of a failed log read (doubles up to 2 s). */
  retryMs: number;
}

interface RoomState {
  /**
   * Last seq delivered to the topic, or announced as a gap; null while
   * unknown (the room had no counter when subscribed, and nothing came since).
   */
  delivered: number | null;
  /** Highest seq received from the current subscription (regression check). */
  live: number;
  /** SUBSCRIBE confirmed: earlier arrivals may be a previous subscription's. */
  confirmed: boolean;
  /** Received while a repair runs, in arrival order (= seq order). */
  pending: ChatMessage[];
  repairing: boolean;
  /** Another repair was asked for while one ran. */
  again: boolean;
}

export type RepairCause = 'gap' | 'resync' | 'epoch' | 'regression';

const MAX_RETRY_MS = 2000;

export class RoomRelay {
  private readonly rooms = new Map<string, RoomState>();
  /** The latest open() of each room still reading its head: a close, or a newer open, supersedes it. */
  private readonly opening = new Map<string, object>();

  constructor(private readonly deps: RelayDeps) {}

  /**
   * Before the room's SUBSCRIBE: everything after the room's current seq will
   * be delivered. One round trip; a missing counter is not seeded here (a
   * room nobody published to yet must not cost a seed to open).
   */
  async open(room: string): Promise<void> {
    const token = {};
    this.opening.set(room, token);
    const head = (await this.deps.roomLog.heads([room])).get(room) ?? null;
    // Closed (released) or opened again meanwhile: this read is not the room's baseline.
    if (this.opening.get(room) !== token) return;
    this.opening.delete(room);
    this.rooms.set(room, { delivered: head, live: head ?? 0, confirmed: false, pending: [], repairing: false, again: false });
  }

  /** The room's SUBSCRIBE is confirmed. */
  live(room: string): void {
    const state = this.rooms.get(room);
    if (state) state.confirmed = true;
  }

  close(room: string): void {
    this.opening.delete(room);
    this.rooms.delete(room);
  }

  /** The last seq delivered in the room, or undefined when this gateway does not relay it or knows none yet. */
  delivered(room: string): number | undefined {
    return this.rooms.get(room)?.delivered ?? undefined;
  }

  /** A message from the room's subscription; `epoch` is the one its seq was assigned in. */
  receive(message: ChatMessage, epoch: string | undefined): void {
    const room = message.room;
    const state = this.rooms.get(room);
    if (!state) return;
    this.deps.metrics.relayed.inc();
    if (state.confirmed) {
      if (message.seq <= state.live) return this.regressed(room, state, message, epoch);
      state.live = message.seq;
    }
    if (state.repairing) {
      this.hold(room, state, message);
      return;
    }
    if (state.delivered === null || message.seq === state.delivered + 1) return this.deliver(room, state, message);
    if (message.seq <= state.delivered) return;
    state.pending.push(message);
    void this.repair(room, state, 'gap');
  }

  /** Repairs every relayed room (after the subscriber reconnected), or those of one partition (after its epoch changed). */
  resync(cause: 'resync' | 'epoch', partition?: number): void {
    for (const [room, state] of this.rooms) {
      if (partition === undefined || partitionOf(room) === partition) void this.repair(room, state, cause);
    }
  }

  get size(): number {
    return this.rooms.size;
  }

  private regressed(room: string, state: RoomState, message: ChatMessage, epoch: string | undefined): void {
    this.deps.metrics.seqRegressions.inc();
    this.deps.logger.error(
      { room, seq: message.seq, id: message.id, received: state.live, epoch },
      'seq regression: a new message reused a seq already relayed (Redis lost acknowledged writes)',
    );
    // Its seq is one clients already have: they would drop it. Reseeding
    // announces the skipped range; the message itself is in history.
    const bumped = epoch === undefined ? Promise.resolve() : this.deps.bump(partitionOf(room), epoch, `gateway relayed seq ${state.live} of room ${room}, then seq ${message.seq} again`);
    void bumped.then(
      () => this.repair(room, state, 'regression'),
      (err: unknown) => this.deps.logger.error({ err, room }, 'could not replace the epoch after a seq regression'),
    );
  }

  /** Keeps a live message for after the running repair; past the bound, skips ahead with a gap notice. */
  private hold(room: string, state: RoomState, message: ChatMessage): void {
    state.pending.push(message);
    if (state.pending.length <= this.deps.maxPending) return;
    const pending = state.pending;
    state.pending = [];
    for (const m of pending) {
      if (state.delivered !== null && m.seq <= state.delivered) continue;
      if (state.delivered !== null && m.seq > state.delivered + 1) this.announce(room, state, state.delivered + 1, m.seq - 1);
      this.deliver(room, state, m);
    }
  }

  private async repair(room: string, state: RoomState, cause: RepairCause): Promise<void> {
    if (state.repairing) {
      state.again = true;
      return;
    }
    state.repairing = true;
    this.deps.metrics.gapRepairs.inc({ cause });
    try {
      do {
        state.again = false;
        const snapshot = await this.read(room, state);
        if (!snapshot) return;
        if (state.delivered !== null && snapshot.seq < state.delivered) {
          // The counter is below what this gateway delivered: Redis lost
          // acknowledged writes. Replacing the epoch makes the next read reseed it.
          this.deps.metrics.seqRegressions.inc();
          await this.deps.bump(partitionOf(room), snapshot.epoch, `room ${room}: counter ${snapshot.seq} below relayed seq ${state.delivered}`);
          state.again = true;
          continue;
        }
        this.apply(room, state, snapshot);
      } while (state.again && this.rooms.get(room) === state);
    } catch (err) {
      this.deps.logger.error({ err, room }, 'room repair failed');
    } finally {
      state.repairing = false;
    }
  }

  /** The log after `delivered`, retried with backoff while Redis fails; null once the room is released. */
  private async read(room: string, state: RoomState): Promise<RoomLogSnapshot | null> {
    for (let delay = this.deps.retryMs; ; delay = Math.min(delay * 2, MAX_RETRY_MS)) {
      if (this.rooms.get(room) !== state) return null;
      try {
        const snapshot = await this.deps.roomLog.since(room, state.delivered ?? 0, state.delivered ?? 0);
        return this.rooms.get(room) === state ? snapshot : null;
      } catch (err) {
        this.deps.metrics.gapRepairFailures.inc();
        this.deps.logger.warn({ err: (err as Error).message, room, delay }, 'room log read failed; the repair retries');
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  /**
   * Delivers, in order, what the snapshot holds after `delivered`, announcing
   * what it lacks, then the live messages held meanwhile. A held message
   * beyond the next seq means something went missing after the snapshot:
   * another round.
   */
  private apply(room: string, state: RoomState, snapshot: RoomLogSnapshot): void {
    // Nothing delivered yet: whatever the log holds is new here, and nothing before it was promised.
    const from = state.delivered ?? (snapshot.messages[0]?.seq ?? snapshot.seq + 1) - 1;
    state.delivered = from;
    for (const m of snapshot.messages) {
      if (m.seq <= from) continue;
      if (m.seq > state.delivered + 1) this.announce(room, state, state.delivered + 1, m.seq - 1);
      this.deps.metrics.repaired.inc();
      this.deliver(room, state, m);
    }
    // The counter is past the log: the log was emptied by a reseed (Redis lost data).
    if (snapshot.seq > state.delivered) this.announce(room, state, state.delivered + 1, snapshot.seq);
    const pending = state.pending;
    state.pending = [];
    for (let i = 0; i < pending.length; i++) {
      const m = pending[i]!;
      if (m.seq <= state.delivered) continue;
      if (m.seq > state.delivered + 1) {
        state.pending = pending.slice(i);
        state.again = true;
        return;
      }
      this.deliver(room, state, m);
    }
  }

  private deliver(room: string, state: RoomState, message: ChatMessage): void {
    state.delivered = message.seq;
    this.deps.catchUps.relay(room, { message });
    this.deps.broadcast(room, { type: 'message', ...message });
  }

  private announce(room: string, state: RoomState, from: number, to: number): void {
    state.delivered = to;
    const gap: Relayed = { gap: { from, to } };
    this.deps.metrics.gapsAnnounced.inc();
    this.deps.logger.warn({ room, from, to }, 'live delivery skipped a range the room log no longer holds: announced as a gap');
    this.deps.catchUps.relay(room, gap);
    this.deps.broadcast(room, { type: 'gap', room, missing: { from, to } });
  }
}
