/**
 * RoomSubscriber and ControlBus over Redis sharded pub/sub (SPUBLISH /
 * SSUBSCRIBE, Redis 7), on one dedicated subscriber client per process.
 *
 * Every channel the bus uses carries a partition's hash tag (room and probe
 * channels their partition's, control events partition 0's), so in a Redis
 * Cluster each travels only within one shard, and the one mechanism below
 * notices every way a subscription can lapse. On one node (or Sentinel) the
 * same commands run on one connection.
 *
 * Messages published while a subscriber link is down are lost (pub/sub is
 * at-most-once), which is why every re-established link is reported through
 * `onResync`, once its re-subscriptions are in effect:
 * - one node: ioredis re-subscribes on reconnect; see `resubscribed`;
 * - Redis Cluster: ioredis keeps one subscriber connection per primary and
 *   replaces a lost one (or one whose slots moved), then emits
 *   `subscribersReady`; see `clusterResubscribed`. A link the probe finds
 *   dead is replaced by a new client; see `replaceClusterSubscriber`.
 */
import { isCluster, type Cluster, type RedisClient } from '../redis/connect.js';
import type { Logger } from '../log.js';
import { PARTITIONS, partitionOf, type RedisKeys } from '../redis/keys.js';
import type { ControlBus, RoomSubscriber, TypingPublisher, TypingSignal } from '../ports.js';
import type { ChatMessage } from '../protocol/frames.js';
import { decodeEnvelope, envelopeToMessage } from './envelope.js';
import { decodeControlEvent, encodeControlEvent, type ControlEvent } from './control.js';
import { SubscriptionChanges } from './subscription-changes.js';
import { parseTyping } from './typing-payload.js';

/** How long a resync waits for each round of probes to prove a Redis Cluster's re-subscriptions. */
const RESUBSCRIBE_PROBE_MS = 2000;
const RESUBSCRIBE_PROBE_ROUNDS = 5;

export class RedisBus implements RoomSubscriber, ControlBus, TypingPublisher {
  private messageHandler: (message: ChatMessage, epoch: string | undefined) => void = () => undefined;
  private probeHandler: (payload: string) => void = () => undefined;
  /** Probe channel → its partition, once `startProbe` ran. */
  private readonly probeChannels = new Map<string, number>();
  /** Per probe payload in flight, the partitions it came back on (a probe counts once back on all). */
  private readonly probeArrivals = new Map<string, Set<number>>();
  /** Resync round trips waiting for their probe payload. */
  private readonly probeWaiters = new Map<string, () => void>();
  private resyncRounds = 0;
  private typingHandler: (signal: TypingSignal) => void = () => undefined;
  private controlHandler: (event: ControlEvent) => void = () => undefined;
  private resyncHandler: () => void = () => undefined;
  private readonly controlChannel: string;
  private everReady = false;
  private readonly changes: SubscriptionChanges;
  /** Every channel subscribed (or asked for), with its partition: what a replaced Cluster client subscribes again. */
  private readonly channels = new Map<string, number>();
  private subscriber: RedisClient;

  /**
   * @param subscriber a client used for nothing but SSUBSCRIBE (Redis forbids other commands on a subscribed connection)
   * @param publisher a normal client, used to publish typing signals, probes and control events
   */
  constructor(
    subscriber: RedisClient,
    private readonly publisher: RedisClient,
    private readonly keys: RedisKeys,
    private readonly logger: Logger,
  ) {
    this.subscriber = subscriber;
    this.controlChannel = keys.controlChannel();
    this.changes = new SubscriptionChanges(() => this.subscriber);
    this.listen(subscriber);
  }

  private listen(subscriber: RedisClient): void {
    subscriber.on('smessageBuffer', (channel: Buffer, payload: Buffer) => this.dispatch(channel.toString(), payload));
    if (isCluster(subscriber)) {
      subscriber.on('subscribersReady', () => {
        if (this.everReady) void this.clusterResubscribed();
      });
    } else {
      subscriber.on('ready', () => {
        if (this.everReady) void this.resubscribed();
        this.everReady = true;
      });
    }
  }

  /**
   * ioredis emits 'ready' before it sends the re-subscriptions, so a resync
   * started at once could read the room logs before the subscriptions are in
   * effect, and miss what is published in between. A PING sent after them
   * answers only once Redis has applied them (one connection runs its
   * commands in order).
   */
  private async resubscribed(): Promise<void> {
    await Promise.resolve();
    try {
      await this.subscriber.ping();
    } catch (err) {
      // Disconnected again: the next 'ready' resyncs.
      this.logger.warn({ err: (err as Error).message }, 'subscriber dropped again before resubscribing');
      return;
    }
    this.resyncHandler();
  }

  /**
   * A Redis Cluster replaced subscriber connections and re-sent their
   * SSUBSCRIBEs without waiting for the answers. A probe that comes back on
   * every partition's channel proves them in effect: ioredis re-subscribes a
   * slot's channels in one command, and each partition's probe channel is in
   * its slot (the control channel in partition 0's). After the rounds run
   * out the resync goes ahead anyway; the fan-out probe keeps judging the
   * links and reconnects them if they still deliver nothing.
   */
  private async clusterResubscribed(): Promise<void> {
    const round = ++this.resyncRounds;
    for (let attempt = 1; attempt <= RESUBSCRIBE_PROBE_ROUNDS; attempt++) {
      if (round !== this.resyncRounds) return; // a later reset resyncs
      if (this.probeChannels.size === 0 || (await this.roundTrip(`resync:${round}:${attempt}`, RESUBSCRIBE_PROBE_MS))) break;
      this.logger.warn({ attempt }, 'cluster re-subscriptions not confirmed yet');
    }
    if (round === this.resyncRounds) this.resyncHandler();
  }

  /** Sends `payload` as a probe and resolves true once it came back on every partition, false after `timeoutMs`. */
  private roundTrip(payload: string, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.probeWaiters.delete(payload);
        this.probeArrivals.delete(payload);
        resolve(false);
      }, timeoutMs);
      this.probeWaiters.set(payload, () => {
        clearTimeout(timer);
        resolve(true);
      });
      this.sendProbe(payload).catch(() => undefined);
    });
  }

  /** Starts receiving control events; call once before serving. */
  async start(): Promise<void> {
    this.channels.set(this.controlChannel, 0);
    await this.subscriber.ssubscribe(this.controlChannel);
    this.everReady = true;
  }

  /**
   * SUBSCRIBEs (and UNSUBSCRIBEs) asked for in one event-loop turn go to Redis
   * as one command per run of the same kind, in the order asked: a connect
   * storm's new rooms cost one write, not one each, and an unsubscribe never
   * overtakes the subscribe it follows.
   */
  subscribe(room: string): Promise<void> {
    const channel = this.keys.roomChannel(room);
    this.channels.set(channel, partitionOf(room));
    return this.changes.add('subscribe', channel, partitionOf(room));
  }

  unsubscribe(room: string): Promise<void> {
    const channel = this.keys.roomChannel(room);
    this.channels.delete(channel);
    return this.changes.add('unsubscribe', channel, partitionOf(room));
  }

  /** `epoch` is the Redis epoch the message's seq was assigned in (absent in old entries). */
  onMessage(handler: (message: ChatMessage, epoch: string | undefined) => void): void {
    this.messageHandler = handler;
  }

  /**
   * Subscribes this process's probe channels, one per partition; `handler`
   * gets what `sendProbe` sent once it came back on all of them, through
   * the same connections as room messages (in a Redis Cluster: through every
   * shard's subscriber link).
   */
  async startProbe(gatewayId: string, handler: (payload: string) => void): Promise<void> {
    this.probeHandler = handler;
    for (let p = 0; p < PARTITIONS; p++) this.probeChannels.set(this.keys.probeChannel(gatewayId, p), p);
    for (const [channel, p] of this.probeChannels) this.channels.set(channel, p);
    // One SSUBSCRIBE per partition: a Redis Cluster refuses channels of several slots in one.
    await Promise.all([...this.probeChannels.keys()].map((channel) => this.subscriber.ssubscribe(channel)));
  }

  /** Publishes `payload` on every partition's probe channel. */
  async sendProbe(payload: string): Promise<void> {
    if (this.probeChannels.size === 0) throw new Error('startProbe first');
    // One probe in flight at a time (FanoutProbe), plus resync round trips:
    // what never came back is forgotten when the map grows past a few.
    if (this.probeArrivals.size > 16) this.probeArrivals.clear();
    this.probeArrivals.set(payload, new Set());
    await Promise.all([...this.probeChannels.keys()].map((channel) => this.publisher.spublish(channel, payload)));
  }

  /**
   * Drops the subscriber connection and reconnects it (a link that delivers
   * nothing may be half-open). Only a link that is up: one that is down is
   * reconnecting already, and interrupting a reconnect while ioredis asks the
   * sentinels for the primary ends the client for good (its connector then
   * gives up instead of retrying; seen in e2e/faults/sentinel-failover).
   */
  reconnectSubscriber(): void {
    if (isCluster(this.subscriber)) return this.replaceClusterSubscriber(this.subscriber);
    if (this.subscriber.status === 'ready' || this.subscriber.status === 'connect') this.subscriber.disconnect(true);
  }

  /**
   * A Cluster client is replaced, not reconnected: its disconnect(true)
   * stops ioredis's sharded subscribers even while a reset waits for one of
   * them to connect, and that wait then never ends, so the client never
   * re-subscribes anything again (ioredis 6; seen in
   * e2e/faults/redis-cluster: a primary restarted). The new client, of the
   * same options, subscribes every channel again, one SSUBSCRIBE per
   * partition (queued until it is ready); then the resync, as after any
   * re-subscription. If that fails, the probe keeps failing and replaces it again.
   */
  private replaceClusterSubscriber(old: Cluster): void {
    const fresh = old.duplicate();
    this.subscriber = fresh;
    old.removeAllListeners();
    old.on('error', () => undefined);
    old.disconnect();
    fresh.on('error', (err: Error) => this.logger.warn({ err: err.message }, 'redis subscriber connection error'));
    this.listen(fresh);
    const byPartition = new Map<number, string[]>();
    for (const [channel, p] of this.channels) byPartition.set(p, [...(byPartition.get(p) ?? []), channel]);
    fresh.connect().catch(() => undefined); // retried by the client; the SSUBSCRIBEs wait for it
    Promise.all([...byPartition.values()].map((channels) => fresh.ssubscribe(...channels))).then(
      () => (this.subscriber === fresh ? this.clusterResubscribed() : undefined),
      (err: unknown) => this.logger.warn({ err: (err as Error).message }, 'new subscriber client could not subscribe yet'),
    );
  }

  /** Drops the subscriber client for good (shutdown). */
  close(): void {
    this.subscriber.disconnect();
  }

  onTyping(handler: (signal: TypingSignal) => void): void {
    this.typingHandler = handler;
  }

  async typing(signal: TypingSignal): Promise<boolean> {
    const fresh = await this.publisher.set(
      this.keys.typing(signal.room, signal.user.id),
      '1',
      'PX',
      Math.max(1, Math.floor(signal.expiresInMs / 2)),
      'NX',
    );
    if (fresh !== 'OK') return false;
    await this.publisher.spublish(this.keys.roomChannel(signal.room), JSON.stringify({ t: 'typing', ...signal }));
    return true;
  }

  onEvent(handler: (event: ControlEvent) => void): void {
    this.controlHandler = handler;
  }

  onResync(handler: () => void): void {
    this.resyncHandler = handler;
  }

  async publish(event: ControlEvent): Promise<void> {
    await this.publisher.spublish(this.controlChannel, encodeControlEvent(event));
  }

  private probeCameBack(partition: number, payload: string): void {
    const arrived = this.probeArrivals.get(payload);
    if (!arrived) return;
    arrived.add(partition);
    if (arrived.size < this.probeChannels.size) return;
    this.probeArrivals.delete(payload);
    const waiter = this.probeWaiters.get(payload);
    if (waiter) {
      this.probeWaiters.delete(payload);
      return waiter();
    }
    this.probeHandler(payload);
  }

  private dispatch(channel: string, payload: Buffer): void {
    const probe = this.probeChannels.get(channel);
    if (probe !== undefined) return this.probeCameBack(probe, payload.toString());
    if (channel === this.controlChannel) {
      const event = decodeControlEvent(payload);
      if (event) this.controlHandler(event);
      else this.logger.error({ channel }, 'dropping undecodable control event');
      return;
    }
    const envelope = decodeEnvelope(payload);
    if (envelope) return this.messageHandler(envelopeToMessage(envelope), envelope.ep);
    const typing = parseTyping(payload);
    if (typing) return this.typingHandler(typing);
    this.logger.error({ channel }, 'dropping undecodable room payload');
  }
}

/** Publishes control events from a process that does not subscribe (the api). */
export async function publishControl(redis: RedisClient, keys: RedisKeys, event: ControlEvent): Promise<void> {
  await redis.spublish(keys.controlChannel(), encodeControlEvent(event));
}
