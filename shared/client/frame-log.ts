/**
 * What the test sockets (socket.ts over the raw endpoint, sio-socket.ts over
 * Socket.IO) keep of what they received: every server frame in arrival
 * order, `messages` frames unpacked into their `message` frames, so a test
 * can wait for a frame that already arrived without racing the socket, and
 * reads the same frames whichever transport carried them.
 */
import type { ServerFrame, ServerFrameOf, ServerFrameType } from '../protocol/frames.js';

export abstract class FrameLog {
  /** Every frame received, `messages` frames unpacked into their `message` frames. */
  readonly frames: ServerFrame[] = [];
  /** How many `messages` frames arrived (each unpacked into `frames`). */
  batches = 0;
  private waiters: (() => void)[] = [];
  private listeners: ((frame: ServerFrame) => void)[] = [];
  private readonly taken = new WeakSet<ServerFrame>();
  /** Something the server sent that is not a valid frame: every wait fails with it from then on. */
  protected failure: Error | null = null;

  /** True once the connection is gone: waiting for more frames is pointless. */
  protected abstract isClosed(): boolean;

  /** Records a frame from the server. */
  protected received(frame: ServerFrame): void {
    const frames: ServerFrame[] = frame.type === 'messages' ? frame.messages.map((m) => ({ type: 'message', ...m })) : [frame];
    if (frame.type === 'messages') this.batches++;
    for (const f of frames) {
      this.frames.push(f);
      for (const listener of this.listeners) listener(f);
    }
    this.notify();
  }

  /** Calls `listener` with every frame received from now on, in order. */
  onFrame(listener: (frame: ServerFrame) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Resolves with the first received frame of `type` matching `match` that
   * was not already taken by an earlier `next`; fails after `timeoutMs`.
   */
  next<K extends ServerFrameType>(
    type: K,
    match: (f: ServerFrameOf<K>) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<ServerFrameOf<K>> {
    return this.waitFor((f): f is ServerFrameOf<K> => f.type === type && match(f as ServerFrameOf<K>), `"${type}" frame`, timeoutMs);
  }

  /** The server's reply to the frame sent with `ref`, whatever its type (`ack`, `pong` or `error`). */
  async reply(ref: string, timeoutMs = 10_000): Promise<Extract<ServerFrame, { ref?: string }>> {
    return this.waitFor((f): f is Extract<ServerFrame, { ref?: string }> => 'ref' in f && f.ref === ref, `reply to ${ref}`, timeoutMs);
  }

  private async waitFor<F extends ServerFrame>(match: (f: ServerFrame) => f is F, what: string, timeoutMs: number): Promise<F> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.failure) throw this.failure;
      const frame = this.frames.find((f): f is F => !this.taken.has(f) && match(f));
      if (frame) {
        this.taken.add(frame);
        return frame;
      }
      const left = deadline - Date.now();
      if (left <= 0 || this.isClosed()) {
        throw new Error(`no ${what} within ${timeoutMs} ms; received: ${JSON.stringify(this.frames).slice(0, 1000)}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Records an invalid frame from the server (thrown from a socket listener it would crash the process instead). */
  protected fail(err: Error): void {
    this.failure ??= err;
    this.notify();
  }

  protected notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
