/**
 * The client side of gap-free delivery, as documented in docs/protocol.md
 * ("Resuming after a reconnect"). Tests run this procedure against real
 * servers, so the documented procedure itself is what is proven.
 *
 * Per room the client keeps the last seq it delivered to the application and
 * a reorder buffer. Every message (live, replayed, or read from history) goes
 * into the buffer and is delivered only when it is the next seq, so the
 * application sees each room exactly once and in seq order.
 *
 * On every (re)connect: open with `?resume=1`, and after `welcome` send
 * `resume` with the last delivered seq of every known room. A `resumed` with
 * `recovered: false` names the seqs the server's window no longer has; they
 * are read from the history API (retrying until the worker has stored them).
 */
import type { ChatMessage, ServerFrame } from '../protocol/frames.js';
import type { HistoryResponse } from '../http/schemas.js';
import { ParleySocket } from './socket.js';

export interface ResumingClientOptions {
  /** ws(s)://host/v1/ws */
  url: string;
  /** http(s)://host of the api */
  apiUrl: string;
  token: string;
  /** Called with each message once, in seq order per room. */
  onMessage?: (message: ChatMessage) => void;
  /** Attempts, 100 ms apart, to read a missing range that history does not fully have yet. */
  historyAttempts?: number;
}

export class ResumingClient {
  /** Messages delivered to the application, per room, in order. */
  readonly delivered = new Map<string, ChatMessage[]>();
  socket: ParleySocket | null = null;
  private readonly last = new Map<string, number>();
  private readonly pending = new Map<string, Map<number, ChatMessage>>();
  private readonly fills: Promise<void>[] = [];

  constructor(private readonly options: ResumingClientOptions) {}

  /**
   * Connects (or reconnects, possibly to another gateway: `url`) and resumes
   * every known room; resolves after `welcome`.
   */
  async connect(gatewayUrl = this.options.url): Promise<ParleySocket> {
    const url = `${gatewayUrl}${gatewayUrl.includes('?') ? '&' : '?'}resume=1`;
    const socket = await ParleySocket.connect(url, this.options.token);
    this.socket = socket;
    socket.onFrame((frame) => this.onFrame(frame));
    const welcome = await socket.next('welcome');
    const rooms = welcome.rooms.filter((room) => this.last.has(room)).map((room) => ({ room, after: this.last.get(room)! }));
    socket.send({ type: 'resume', ref: 'resume', rooms });
    return socket;
  }

  lastSeq(room: string): number | undefined {
    return this.last.get(room);
  }

  /** Resolves once every history read started so far has finished. */
  async settled(): Promise<void> {
    await Promise.all(this.fills);
  }

  private onFrame(frame: ServerFrame): void {
    if (frame.type === 'message') this.accept(frame);
    else if (frame.type === 'resumed' && frame.missing) this.fills.push(this.fill(frame.room, frame.missing.from, frame.missing.to));
  }

  private accept(message: ChatMessage): void {
    const { room, seq } = message;
    // A room first seen live starts where the first message is.
    if (!this.last.has(room)) this.last.set(room, seq - 1);
    if (seq <= this.last.get(room)!) return;
    let buffer = this.pending.get(room);
    if (!buffer) this.pending.set(room, (buffer = new Map()));
    buffer.set(seq, message);
    for (let next = this.last.get(room)! + 1; buffer.has(next); next++) {
      const m = buffer.get(next)!;
      buffer.delete(next);
      this.last.set(room, next);
      let list = this.delivered.get(room);
      if (!list) this.delivered.set(room, (list = []));
      list.push(m);
      this.options.onMessage?.(m);
    }
  }

  /** Reads seqs from..to (inclusive) from the history API into the reorder buffer. */
  private async fill(room: string, from: number, to: number): Promise<void> {
    const attempts = this.options.historyAttempts ?? 100;
    for (let attempt = 0; attempt < attempts; attempt++) {
      const got = new Map<number, ChatMessage>();
      let before: number | null = to + 1;
      while (before !== null && before > from) {
        const res = await fetch(`${this.options.apiUrl}/v1/rooms/${room}/messages?limit=100&before=${before}`, {
          headers: { authorization: `Bearer ${this.options.token}` },
        });
        if (!res.ok) throw new Error(`history ${room}: HTTP ${res.status}`);
        const page = (await res.json()) as HistoryResponse;
        for (const m of page.messages) if (m.seq >= from && m.seq <= to) got.set(m.seq, m);
        before = page.messages.length > 0 && page.nextBefore !== null ? page.nextBefore : null;
      }
      if (got.size === to - from + 1) {
        for (let seq = from; seq <= to; seq++) this.accept(got.get(seq)!);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`history of room ${room} still lacks part of ${from}..${to}`);
  }
}
