/**
 * The client side of gap-free delivery, as documented in docs/protocol.md
 * ("Receiving every message"). Tests run this procedure against real
 * servers, so the documented procedure itself is what is proven.
 *
 * Per room the client keeps the last seq it delivered to the application, a
 * reorder buffer, and the ranges history said hold no message. Every message
 * (live, replayed, or read from history) goes into the buffer and is
 * delivered only when it is the next seq, so the application sees each room
 * exactly once and in seq order. The client never stalls:
 * - a `gap` frame, or a `resumed` with `missing`, is read from history at once;
 * - a seq that skips ahead (a gap the gateway has not filled) waits
 *   `gapWaitMs` for the gateway, then is read from history;
 * - a history read that still lacks seqs is retried every `historyRetryMs`,
 *   `historyAttempts` times; seqs history lists under `gaps` hold no message;
 *   whatever is still missing after that is skipped and reported (`onSkip`).
 *
 * On every (re)connect: open with `?resume=1`, and after `welcome` send
 * `resume` with the last delivered seq of every known room (with `resume:
 * false` the client does neither, and relies on the steps above alone).
 */
import type { ChatMessage, SeqRange, ServerFrame } from '../protocol/frames.js';
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
  /** Called when a range is given up on: history did not have it after every attempt. */
  onSkip?: (room: string, range: SeqRange) => void;
  /** Send `resume` after each connect (default true). */
  resume?: boolean;
  /** How long a live seq gap may wait for the gateway before history is read. */
  gapWaitMs?: number;
  /** Delay between history reads of a range that is not complete yet. */
  historyRetryMs?: number;
  /** History reads of one range before the rest of it is skipped. */
  historyAttempts?: number;
}

export const CLIENT_DEFAULTS = { gapWaitMs: 2000, historyRetryMs: 250, historyAttempts: 40 } as const;

interface RoomState {
  /** Last seq delivered to the application. */
  last: number;
  buffer: Map<number, ChatMessage>;
  /** Ranges that hold no message (history `gaps`, or given up on), above `last`. */
  empty: SeqRange[];
  /** The live-gap timer, while one runs. */
  timer: NodeJS.Timeout | null;
}

export class ResumingClient {
  /** Messages delivered to the application, per room, in order. */
  readonly delivered = new Map<string, ChatMessage[]>();
  /** Ranges skipped because history never had them, per room. */
  readonly skipped = new Map<string, SeqRange[]>();
  /** Ranges read from history, and why: named by the server (`gap`, `resumed`) or a hole it never named (`timer`). */
  readonly reads: { room: string; range: SeqRange; why: 'gap' | 'resumed' | 'timer' }[] = [];
  socket: ParleySocket | null = null;
  private readonly rooms = new Map<string, RoomState>();
  private readonly fills = new Set<Promise<void>>();
  private readonly options: ResumingClientOptions & Required<Pick<ResumingClientOptions, keyof typeof CLIENT_DEFAULTS>>;

  constructor(options: ResumingClientOptions) {
    this.options = { ...CLIENT_DEFAULTS, ...options };
  }

  /**
   * Connects (or reconnects, possibly to another gateway: `url`) and resumes
   * every known room; resolves after `welcome`.
   */
  async connect(gatewayUrl = this.options.url): Promise<ParleySocket> {
    const resume = this.options.resume !== false;
    const url = resume ? `${gatewayUrl}${gatewayUrl.includes('?') ? '&' : '?'}resume=1` : gatewayUrl;
    const socket = await ParleySocket.connect(url, this.options.token);
    this.socket = socket;
    socket.onFrame((frame) => this.onFrame(frame));
    const welcome = await socket.next('welcome');
    if (resume) {
      const rooms = welcome.rooms.filter((room) => this.rooms.has(room)).map((room) => ({ room, after: this.rooms.get(room)!.last }));
      socket.send({ type: 'resume', ref: 'resume', rooms });
    }
    return socket;
  }

  lastSeq(room: string): number | undefined {
    return this.rooms.get(room)?.last;
  }

  /** Resolves once every history read started so far has finished (and those they started). */
  async settled(): Promise<void> {
    while (this.fills.size > 0) await Promise.allSettled([...this.fills]);
  }

  /** Stops the timers (the socket is the caller's to close). */
  stop(): void {
    for (const state of this.rooms.values()) if (state.timer) clearTimeout(state.timer);
  }

  private onFrame(frame: ServerFrame): void {
    if (frame.type === 'message') this.accept(frame);
    else if (frame.type === 'gap') this.fill(frame.room, frame.missing, 'gap');
    else if (frame.type === 'resumed' && frame.missing) this.fill(frame.room, frame.missing, 'resumed');
  }

  private state(room: string, firstSeq: number): RoomState {
    let state = this.rooms.get(room);
    // A room first seen live starts where its first message is.
    if (!state) this.rooms.set(room, (state = { last: firstSeq - 1, buffer: new Map(), empty: [], timer: null }));
    return state;
  }

  private accept(message: ChatMessage): void {
    const state = this.state(message.room, message.seq);
    if (message.seq <= state.last) return;
    state.buffer.set(message.seq, message);
    this.advance(message.room, state);
  }

  /** Delivers while the next seq is buffered or known empty; a buffer left beyond a hole starts the gap timer. */
  private advance(room: string, state: RoomState): void {
    for (;;) {
      const next = state.last + 1;
      const message = state.buffer.get(next);
      if (message) {
        state.buffer.delete(next);
        state.last = next;
        let list = this.delivered.get(room);
        if (!list) this.delivered.set(room, (list = []));
        list.push(message);
        this.options.onMessage?.(message);
        continue;
      }
      const empty = state.empty.find((r) => r.from <= next && r.to >= next);
      if (!empty) break;
      state.last = empty.to;
    }
    state.empty = state.empty.filter((r) => r.to > state.last);
    for (const seq of state.buffer.keys()) if (seq <= state.last) state.buffer.delete(seq);
    if (state.buffer.size === 0) {
      if (state.timer) clearTimeout(state.timer);
      state.timer = null;
    } else if (!state.timer) {
      // Something newer is here and the next seq is not: give the gateway a moment, then read history.
      const waitingFor = state.last;
      state.timer = setTimeout(() => {
        state.timer = null;
        if (state.last !== waitingFor || state.buffer.size === 0) return this.advance(room, state);
        this.fill(room, { from: state.last + 1, to: Math.min(...state.buffer.keys()) - 1 }, 'timer');
      }, this.options.gapWaitMs);
      state.timer.unref?.();
    }
  }

  private fill(room: string, range: SeqRange, why: 'gap' | 'resumed' | 'timer'): void {
    this.reads.push({ room, range, why });
    const work = this.read(room, range).catch(() => undefined);
    this.fills.add(work);
    void work.finally(() => this.fills.delete(work));
  }

  /** Reads seqs from..to (inclusive) from the history API into the reorder buffer, retrying until complete. */
  private async read(room: string, range: SeqRange): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const state = this.state(room, range.from);
      if (range.to <= state.last) return;
      const from = Math.max(range.from, state.last + 1);
      const got = new Map<number, ChatMessage>();
      const empty: SeqRange[] = [];
      let before: number | null = range.to + 1;
      try {
        while (before !== null && before > from) {
          const res = await fetch(`${this.options.apiUrl}/v1/rooms/${room}/messages?limit=100&before=${before}`, {
            headers: { authorization: `Bearer ${this.options.token}` },
          });
          if (!res.ok) throw new Error(`history ${room}: HTTP ${res.status}`);
          const page = (await res.json()) as HistoryResponse;
          for (const m of page.messages) if (m.seq >= from && m.seq <= range.to) got.set(m.seq, m);
          empty.push(...page.gaps);
          before = page.messages.length > 0 && page.nextBefore !== null ? page.nextBefore : null;
        }
      } catch {
        // A failed read counts as an attempt; the next one may succeed.
      }
      for (const m of got.values()) state.buffer.set(m.seq, m);
      for (const gap of empty) if (gap.to > state.last) state.empty.push(gap);
      this.advance(room, state);
      const missing = this.firstMissing(state, from, range.to);
      if (missing === null) return;
      if (attempt >= this.options.historyAttempts) {
        // Never stall: what history still lacks is skipped, and said so.
        const skipped = { from: missing, to: range.to };
        state.empty.push(skipped);
        let list = this.skipped.get(room);
        if (!list) this.skipped.set(room, (list = []));
        list.push(skipped);
        this.options.onSkip?.(room, skipped);
        this.advance(room, state);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, this.options.historyRetryMs));
    }
  }

  /** The lowest seq in [from, to] above `last` that is neither buffered nor known empty, or null. */
  private firstMissing(state: RoomState, from: number, to: number): number | null {
    for (let seq = Math.max(from, state.last + 1); seq <= to; seq++) {
      if (state.buffer.has(seq)) continue;
      const empty = state.empty.find((r) => r.from <= seq && r.to >= seq);
      if (empty) {
        seq = empty.to;
        continue;
      }
      return seq;
    }
    return null;
  }
}
