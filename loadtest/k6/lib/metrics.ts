/**
 * The parley-specific metrics every script reports (k6 adds its own ws_* and
 * http_* metrics). Metrics must be created in the init context, so they live
 * at module level here.
 */
import { Counter, Trend } from 'k6/metrics';
import type { MessageEvent } from 'k6/websockets';
import { common } from './config.js';
import type { ServerFrame } from '../../../shared/protocol/frames.js';

/**
 * From the sender's `Date.now()`, carried in the message body, to the moment a
 * receiving socket read the `message` frame. Sender and receivers share one
 * clock only within one k6 process: across load machines, clock skew adds in.
 */
export const deliveryLatency = new Trend('parley_delivery_latency', true);
/** From sending `publish` to reading its `ack`: sequenced, logged and queued for persistence. */
export const ackLatency = new Trend('parley_ack_latency', true);
/** From opening the socket to reading `welcome`: TCP, upgrade, token check and room subscriptions. */
export const welcomeLatency = new Trend('parley_welcome_latency', true);

export const published = new Counter('parley_published');
export const delivered = new Counter('parley_delivered');
/** `error` frames, tagged with their `code` (e.g. `rate_limited`: raise the gateway limits). */
export const errorFrames = new Counter('parley_error_frames');
/**
 * Sockets that closed after `welcome` without the script asking. Socket.IO
 * sockets tag it with `code`: the close code of the server's `closing` event,
 * or 1006 for a drop without one (as the raw endpoint's clients see it).
 */
export const droppedSockets = new Counter('parley_dropped_sockets');

/** Thresholds on the metrics above, from PARLEY_*_P99_MS and PARLEY_CHECKS_RATE. */
export const thresholds = {
  checks: [`rate>${common.checksRate}`],
  delivery: { parley_delivery_latency: [`p(99)<${common.deliveryP99Ms}`] },
  welcome: { parley_welcome_latency: [`p(99)<${common.welcomeP99Ms}`] },
};

/**
 * The text of a received WebSocket message, or null (counted in
 * parley_error_frames as `binary_frame`) for a binary one.
 */
export function textOf(event: MessageEvent | undefined): string | null {
  if (event === undefined) return null;
  if (typeof event.data !== 'string') {
    errorFrames.add(1, { code: 'binary_frame' });
    return null;
  }
  return event.data;
}

/**
 * The server frame a raw-endpoint message carries, or null (counted in
 * parley_error_frames) for a binary frame or text that is not JSON. k6 cannot
 * load the shared codec (no typebox), so frames are narrowed on `type`
 * without validation.
 */
export function serverFrameOf(event: MessageEvent | undefined): ServerFrame | null {
  const text = textOf(event);
  if (text === null) return null;
  try {
    return JSON.parse(text) as ServerFrame;
  } catch {
    errorFrames.add(1, { code: 'invalid_json' });
    return null;
  }
}
