/**
 * RoomSubscriber and ControlBus over Redis pub/sub, on one dedicated
 * subscriber connection per process. ioredis re-subscribes every channel
 * after a reconnect; messages published in between are lost (at-most-once),
 * which is why reconnects are reported through `onResync`.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import type { RedisKeys } from '../redis/keys.js';
import type { ControlBus, RoomSubscriber } from '../ports.js';
import type { ChatMessage } from '../protocol/frames.js';
import { decodeEnvelope, envelopeToMessage } from './envelope.js';
import { decodeControlEvent, encodeControlEvent, type ControlEvent } from './control.js';

export class RedisBus implements RoomSubscriber, ControlBus {
  private messageHandler: (message: ChatMessage) => void = () => undefined;
  private controlHandler: (event: ControlEvent) => void = () => undefined;
  private resyncHandler: () => void = () => undefined;
  private readonly roomPrefix: string;
  private readonly controlChannel: string;
  private everReady = false;

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
    subscriber.on('messageBuffer', (channel: Buffer, payload: Buffer) => this.dispatch(channel.toString(), payload));
    subscriber.on('ready', () => {
      if (this.everReady) this.resyncHandler();
      this.everReady = true;
    });
  }

  /** Starts receiving control events; call once before serving. */
  async start(): Promise<void> {
    await this.subscriber.subscribe(this.controlChannel);
    this.everReady = true;
  }

  async subscribe(room: string): Promise<void> {
    await this.subscriber.subscribe(this.keys.roomChannel(room));
  }

  async unsubscribe(room: string): Promise<void> {
    await this.subscriber.unsubscribe(this.keys.roomChannel(room));
  }

  onMessage(handler: (message: ChatMessage) => void): void {
    this.messageHandler = handler;
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
    if (channel === this.controlChannel) {
      const event = decodeControlEvent(payload);
      if (event) this.controlHandler(event);
      else this.logger.error({ channel }, 'dropping undecodable control event');
      return;
    }
    if (!channel.startsWith(this.roomPrefix)) return;
    const envelope = decodeEnvelope(payload);
    if (!envelope) {
      this.logger.error({ channel }, 'dropping undecodable room message');
      return;
    }
    this.messageHandler(envelopeToMessage(envelope));
  }
}

/** Publishes control events from a process that does not subscribe (the api). */
export async function publishControl(redis: Redis, keys: RedisKeys, event: ControlEvent): Promise<void> {
  await redis.publish(keys.controlChannel(), encodeControlEvent(event));
}
