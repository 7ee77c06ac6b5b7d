/**
 * RoomSubscriber and ControlBus over Redis pub/sub, on one dedicated
 * subscriber connection per process. ioredis re-subscribes every channel
 * after a reconnect; messages published in between are lost (at-most-once),
 * which is why reconnects are reported through `onResync`, once the
 * re-subscriptions are in effect (see `resubscribed`).
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import type { RedisKeys } from '../redis/keys.js';
import Type from 'typebox';
import { Compile } from 'typebox/compile';
import type { ControlBus, RoomSubscriber, TypingPublisher, TypingSignal } from '../ports.js';
import type { ChatMessage } from '../protocol/frames.js';
import { decodeEnvelope, envelopeToMessage } from './envelope.js';
import { decodeControlEvent, encodeControlEvent, type ControlEvent } from './control.js';
import { SubscriptionChanges } from './subscription-changes.js';

/**
 * A room channel carries broker envelopes (messages) and typing signals, the
 * latter marked with `"t":"typing"`; one channel per room keeps the number of
 * Redis subscriptions at one per room.
 */
const TypingPayload = Compile(
  Type.Object({
    t: Type.Literal('typing'),
    room: Type.String(),
    user: Type.Object({ id: Type.String(), username: Type.String() }),
    expiresInMs: Type.Integer({ minimum: 1 }),
  }),
);

export class RedisBus implements RoomSubscriber, ControlBus, TypingPublisher {
  private messageHandler: (message: ChatMessage, epoch: string | undefined) => void = () => undefined;
  private probeHandler: (payload: string) => void = () => undefined;
  private probeChannel: string | null = null;
  private typingHandler: (signal: TypingSignal) => void = () => undefined;
  private controlHandler: (event: ControlEvent) => void = () => undefined;
  private resyncHandler: () => void = () => undefined;
  private readonly roomPrefix: string;
  private readonly controlChannel: string;
  private everReady = false;
  private readonly changes: SubscriptionChanges;

  /**
   * @param subscriber a connection used for nothing but SUBSCRIBE (Redis forbids other commands on it)
   * @param publisher a normal connection, used to publish control events
   */
  constructor(
    private readonly subscriber: Redis,
    private readonly publisher: Redis,
    private readonly keys: RedisKeys,
    private readonly logger: Logger,
  ) {
    this.roomPrefix = keys.roomChannel('');
    this.controlChannel = keys.controlChannel();
    this.changes = new SubscriptionChanges(subscriber);
    subscriber.on('messageBuffer', (channel: Buffer, payload: Buffer) => this.dispatch(channel.toString(), payload));
    subscriber.on('ready', () => {
      if (this.everReady) void this.resubscribed();
      this.everReady = true;
    });
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

  /** Starts receiving control events; call once before serving. */
  async start(): Promise<void> {
    await this.subscriber.subscribe(this.controlChannel);
    this.everReady = true;
  }

  /**
   * SUBSCRIBEs (and UNSUBSCRIBEs) asked for in one event-loop turn go to Redis
   * as one command per run of the same kind, in the order asked: a connect
   * storm's new rooms cost one write, not one each, and an unsubscribe never
   * overtakes the subscribe it follows.
   */
  subscribe(room: string): Promise<void> {
    return this.changes.add('subscribe', this.keys.roomChannel(room));
  }

  unsubscribe(room: string): Promise<void> {
    return this.changes.add('unsubscribe', this.keys.roomChannel(room));
  }

  /** `epoch` is the Redis epoch the message's seq was assigned in (absent in old entries). */
  onMessage(handler: (message: ChatMessage, epoch: string | undefined) => void): void {
    this.messageHandler = handler;
  }

  /**
   * Subscribes this process's probe channel; `handler` gets what `sendProbe`
   * sent, through the same connections as room messages.
   */
  async startProbe(channel: string, handler: (payload: string) => void): Promise<void> {
    this.probeChannel = channel;
    this.probeHandler = handler;
    await this.subscriber.subscribe(channel);
  }

  async sendProbe(payload: string): Promise<void> {
    if (this.probeChannel === null) throw new Error('startProbe first');
    await this.publisher.publish(this.probeChannel, payload);
  }

  /**
   * Drops the subscriber connection and reconnects it (a link that delivers
   * nothing may be half-open). Only a link that is up: one that is down is
   * reconnecting already, and interrupting a reconnect while ioredis asks the
   * sentinels for the primary ends the client for good (its connector then
   * gives up instead of retrying; seen in e2e/faults/sentinel-failover).
   */
  reconnectSubscriber(): void {
    if (this.subscriber.status === 'ready' || this.subscriber.status === 'connect') this.subscriber.disconnect(true);
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
    await this.publisher.publish(this.keys.roomChannel(signal.room), JSON.stringify({ t: 'typing', ...signal }));
    return true;
  }

  onEvent(handler: (event: ControlEvent) => void): void {
    this.controlHandler = handler;
  }

  onResync(handler: () => void): void {
    this.resyncHandler = handler;
  }

  async publish(event: ControlEvent): Promise<void> {
    await this.publisher.publish(this.controlChannel, encodeControlEvent(event));
  }

  private dispatch(channel: string, payload: Buffer): void {
    if (channel === this.probeChannel) return this.probeHandler(payload.toString());
    if (channel === this.controlChannel) {
      const event = decodeControlEvent(payload);
      if (event) this.controlHandler(event);
      else this.logger.error({ channel }, 'dropping undecodable control event');
      return;
    }
    if (!channel.startsWith(this.roomPrefix)) return;
    const envelope = decodeEnvelope(payload);
    if (envelope) return this.messageHandler(envelopeToMessage(envelope), envelope.ep);
    const typing = parseTyping(payload);
    if (typing) return this.typingHandler(typing);
    this.logger.error({ channel }, 'dropping undecodable room payload');
  }
}

function parseTyping(payload: Buffer): TypingSignal | null {
  try {
    const value: unknown = JSON.parse(payload.toString('utf8'));
    if (!TypingPayload.Check(value)) return null;
    const { room, user, expiresInMs } = value as TypingSignal;
    return { room, user, expiresInMs };
  } catch {
    return null;
  }
}

/** Publishes control events from a process that does not subscribe (the api). */
export async function publishControl(redis: Redis, keys: RedisKeys, event: ControlEvent): Promise<void> {
  await redis.publish(keys.controlChannel(), encodeControlEvent(event));
}
