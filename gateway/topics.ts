/**
 * Writes a frame to every local socket on a uWS topic: encoded once,
 * whatever the number of sockets. The uWS app is attached when the server is
 * wired; before that there are no sockets to write to.
 */
import { encodeServerFrame } from '../shared/protocol/codec.js';
import type { ServerFrame } from '../shared/protocol/frames.js';
import type { GatewayMetrics } from './metrics.js';
import type { TemplatedApp } from './uws.js';

export class Topics {
  private app: TemplatedApp | null = null;

  constructor(private readonly metrics: Pick<GatewayMetrics, 'framesOut'>) {}

  attach(app: TemplatedApp): void {
    this.app = app;
  }

  broadcast(topic: string, frame: ServerFrame): void {
    const recipients = this.app?.numSubscribers(topic) ?? 0;
    if (recipients === 0) return;
    this.app!.publish(topic, encodeServerFrame(frame), false);
    this.metrics.framesOut.inc({ type: frame.type }, recipients);
  }
}
