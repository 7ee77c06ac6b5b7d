/**
 * Pending publishes: each is one frame, built once, that is sent again
 * unchanged (same cmid, same body, same ref) until it is acked, refused for
 * good, or `timeoutMs` has passed (docs/protocol.md "Delivery guarantees":
 * idempotent retry). Rules:
 * - a retryable `error` (overloaded, unavailable, internal, rate_limited,
 *   shutting_down) resends after its `retryAfterMs`, or after a backoff;
 * - a close leaves every unacked publish's outcome unknown: they are all
 *   resent on the next socket, in their original order, once that socket has
 *   sent its `resume` frame;
 * - a non-retryable `error` rejects, with its catalogue code;
 * - the frame is checked against the schema and the limits of the last
 *   `welcome` before it is sent (a frame over the payload limit would cost the
 *   connection).
 */
import { decodeClientFrame, encodeClientFrame } from '../../shared/protocol/codec.js';
import type { PublishFrame, ServerFrameOf } from '../../shared/protocol/frames.js';
import { ParleyRequestError, fromErrorFrame } from './errors.js';
import type { GatewayLimits, PublishAck } from './types.js';

export interface PublisherDeps {
  /** Sends a frame on the current socket; false when there is none open. */
  send(frame: PublishFrame): boolean;
  /** The limits of the last `welcome` (null before the first). */
  limits(): GatewayLimits | null;
  /** Delay before resending after the n-th retryable error without a retryAfterMs. */
  retryDelay(attempt: number): number;
  timeoutMs: number;
}

interface Pending {
  frame: PublishFrame;
  resolve(ack: PublishAck): void;
  reject(error: ParleyRequestError): void;
  promise: Promise<PublishAck>;
  /** Sent on the current socket, reply awaited. */
  inFlight: boolean;
  retries: number;
  retryTimer: ReturnType<typeof setTimeout> | null;
  deadline: ReturnType<typeof setTimeout>;
  lastError: ParleyRequestError | null;
}

const encoder = new TextEncoder();

export class Publisher {
  /** By ref, in publish order (a Map iterates in insertion order). */
  private readonly pending = new Map<string, Pending>();
  private ready = false;
  private counter = 0;

  constructor(private readonly deps: PublisherDeps) {}

  get size(): number {
    return this.pending.size;
  }

  publish(room: string, body: string, cmid: string): Promise<PublishAck> {
    for (const p of this.pending.values()) {
      // The same message asked for twice while pending: one frame, one answer.
      if (p.frame.cmid === cmid && p.frame.room === room) return p.promise;
    }
    const frame: PublishFrame = { type: 'publish', ref: `pub-${++this.counter}`, room, cmid, body };
    const invalid = this.check(frame);
    if (invalid) return Promise.reject(invalid);
    let resolve!: (ack: PublishAck) => void;
    let reject!: (error: ParleyRequestError) => void;
    const promise = new Promise<PublishAck>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const ref = frame.ref!;
    const deadline = setTimeout(() => {
      const p = this.pending.get(ref);
      if (!p) return;
      const last = p.lastError;
      this.settle(ref, null, new ParleyRequestError(last?.code ?? 'unavailable', `not acknowledged within ${this.deps.timeoutMs} ms${last ? `: ${last.message}` : ''}`, { retryable: true }));
    }, this.deps.timeoutMs);
    const pending: Pending = { frame, resolve, reject, promise, inFlight: false, retries: 0, retryTimer: null, deadline, lastError: null };
    this.pending.set(ref, pending);
    if (this.ready) this.transmit(pending);
    return promise;
  }

  /** The socket is ready for publishes (welcome received, resume sent): send every waiting one, in order. */
  connected(): void {
    this.ready = true;
    for (const p of this.pending.values()) {
      if (p.inFlight) continue;
      if (p.retryTimer) clearTimeout(p.retryTimer);
      p.retryTimer = null;
      this.transmit(p);
    }
  }

  /** The socket closed: nothing is in flight any more (outcomes unknown, resent on the next socket). */
  disconnected(): void {
    this.ready = false;
    for (const p of this.pending.values()) p.inFlight = false;
  }

  /** An `ack`; false when it answers no pending publish. */
  onAck(frame: ServerFrameOf<'ack'>): boolean {
    if (frame.ref === undefined || !this.pending.has(frame.ref)) return false;
    const { room, cmid, id, seq, createdAt, duplicate } = frame;
    this.settle(frame.ref, { room, cmid, id, seq, createdAt, duplicate }, null);
    return true;
  }

  /** An `error`; false when it answers no pending publish. */
  onError(frame: ServerFrameOf<'error'>): boolean {
    const p = frame.ref === undefined ? undefined : this.pending.get(frame.ref);
    if (!p) return false;
    const error = fromErrorFrame(frame);
    p.inFlight = false;
    p.lastError = error;
    if (!error.retryable) {
      this.settle(frame.ref!, null, error);
      return true;
    }
    const delay = frame.retryAfterMs ?? this.deps.retryDelay(p.retries);
    p.retries++;
    p.retryTimer = setTimeout(() => {
      p.retryTimer = null;
      if (this.pending.has(frame.ref!) && this.ready) this.transmit(p);
    }, delay);
    return true;
  }

  /** Rejects every pending publish (disconnect, logout, session ended). */
  rejectAll(error: ParleyRequestError): void {
    this.ready = false;
    for (const ref of [...this.pending.keys()]) this.settle(ref, null, error);
  }

  private transmit(p: Pending): void {
    const invalid = this.checkLimits(p.frame);
    if (invalid) {
      this.settle(p.frame.ref!, null, invalid);
      return;
    }
    p.inFlight = this.deps.send(p.frame);
  }

  private settle(ref: string, ack: PublishAck | null, error: ParleyRequestError | null): void {
    const p = this.pending.get(ref);
    if (!p) return;
    this.pending.delete(ref);
    clearTimeout(p.deadline);
    if (p.retryTimer) clearTimeout(p.retryTimer);
    if (ack) p.resolve(ack);
    else p.reject(error!);
  }

  /** The frame against its schema (room id, cmid, body) and the known limits. */
  private check(frame: PublishFrame): ParleyRequestError | null {
    const decoded = decodeClientFrame(encodeClientFrame(frame));
    if (!decoded.ok) return new ParleyRequestError(decoded.error.code, decoded.error.message);
    return this.checkLimits(frame);
  }

  private checkLimits(frame: PublishFrame): ParleyRequestError | null {
    const limits = this.deps.limits();
    if (!limits) return null;
    const bodyBytes = encoder.encode(frame.body).length;
    if (bodyBytes > limits.maxMessageBytes) {
      return new ParleyRequestError('message_too_large', `message body is ${bodyBytes} bytes; the limit is ${limits.maxMessageBytes}`);
    }
    const frameBytes = encoder.encode(encodeClientFrame(frame)).length;
    if (frameBytes > limits.maxFrameBytes) {
      return new ParleyRequestError('frame_too_large', `frame is ${frameBytes} bytes; the limit is ${limits.maxFrameBytes}`);
    }
    return null;
  }
}
