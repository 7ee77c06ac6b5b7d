/**
 * Per-room order, deduplication and gap repair: the client side of gap-free
 * delivery, as documented in docs/protocol.md ("Receiving every message").
 * The e2e tests (e2e/resume.test.ts, e2e/faults/) run this against real
 * servers, so the documented procedure itself is what is proven.
 *
 * Per room the client keeps the last seq it delivered to the application, a
 * reorder buffer, and the ranges history said hold no message. Every message
 * (live, replayed, or read from history) goes into the buffer and is
 * delivered only when it is the next seq, so the application sees each room
 * exactly once and in seq order. It never stalls:
 * - a `gap` frame, or a `resumed` with `missing`, is read from history at once;
 * - a seq that skips ahead (a gap the gateway has not filled) waits
 *   `gapWaitMs` for the gateway, then is read from history;
 * - a history read that still lacks seqs is retried every `historyRetryMs`,
 *   `historyAttempts` times; seqs history lists under `gaps` hold no message;
 *   whatever is still missing after that is skipped and reported (`skip`).
 * A room first seen live starts at its first message; `setLast` places it
 * explicitly (e.g. at the newest seq of a history page the app loaded).
 */
import type { HistoryResponse } from '../../shared/http/schemas.js';
import type { ChatMessage, SeqRange } from '../../shared/protocol/frames.js';
import type { FillReason } from './types.js';

export interface SequencerOptions {
  gapWaitMs: number;
  historyRetryMs: number;
  historyAttempts: number;
}

export const SEQUENCER_DEFAULTS: SequencerOptions = { gapWaitMs: 2000, historyRetryMs: 250, historyAttempts: 40 };
/** History page size for fills (the api's maximum). */
const PAGE = 100;

export interface SequencerDeps {
  /** One history page of `room`: messages with seq < before, newest first. */
  history(room: string, before: number, limit: number): Promise<HistoryResponse>;
  deliver(message: ChatMessage): void;
  skip(room: string, range: SeqRange): void;
  fill(room: string, range: SeqRange, reason: FillReason, done: Promise<void>): void;
  error(error: Error): void;
}

interface RoomState {
  /** Last seq delivered to the application (or placed by setLast). */
  last: number;
  /** Whether `last` is real: something was delivered or placed. */
  known: boolean;
  buffer: Map<number, ChatMessage>;
  /** Ranges that hold no message (history `gaps`, or given up on), above `last`. */
  empty: SeqRange[];
  /** The live-gap timer, while one runs. */
  timer: ReturnType<typeof setTimeout> | null;
}

export class Sequencer {
  private readonly rooms = new Map<string, RoomState>();

  constructor(
    private readonly deps: SequencerDeps,
    private readonly options: SequencerOptions = SEQUENCER_DEFAULTS,
  ) {}

  /** The last seq delivered (or placed) for a room; undefined before that. */
  lastSeq(room: string): number | undefined {
    const state = this.rooms.get(room);
    return state?.known ? state.last : undefined;
  }

  /** Places a room at `seq`: later messages continue from there without a fill. */
  setLast(room: string, seq: number): void {
    const state = this.state(room, seq + 1);
    state.last = seq;
    state.known = true;
    this.advance(room, state);
  }

  /** The positions to send in a `resume` frame for the rooms the socket follows. */
  positions(rooms: readonly string[]): { room: string; after: number }[] {
    return rooms.filter((room) => this.rooms.has(room)).map((room) => ({ room, after: this.rooms.get(room)!.last }));
  }

  /** Forgets a room (the user left or was removed): a later rejoin starts afresh. */
  forget(room: string): void {
    const state = this.rooms.get(room);
    if (state?.timer) clearTimeout(state.timer);
    this.rooms.delete(room);
  }

  /** Forgets every room (logout, another user): timers stop, fills in flight deliver nothing. */
  reset(): void {
    for (const room of [...this.rooms.keys()]) this.forget(room);
  }

  /** A message, live, replayed or from anywhere else. */
  accept(message: ChatMessage): void {
    const state = this.state(message.room, message.seq);
    if (message.seq <= state.last) return;
    state.buffer.set(message.seq, message);
    this.advance(message.room, state);
  }

  /** Reads `range` from history (a `gap` frame, `resumed.missing`). */
  fill(room: string, range: SeqRange, reason: FillReason): void {
    const work = this.read(room, range).catch((err: unknown) => this.deps.error(err instanceof Error ? err : new Error(String(err))));
    this.deps.fill(room, range, reason, work);
  }

  private state(room: string, firstSeq: number): RoomState {
    let state = this.rooms.get(room);
    // A room first seen live starts where its first message is.
    if (!state) this.rooms.set(room, (state = { last: firstSeq - 1, known: false, buffer: new Map(), empty: [], timer: null }));
    return state;
  }

  /** Delivers while the next seq is buffered or known empty; a buffer left beyond a hole starts the gap timer. */
  private advance(room: string, state: RoomState): void {
    for (;;) {
      // The application may have forgotten the room from inside a 'message' listener.
      if (this.rooms.get(room) !== state) return;
      const next = state.last + 1;
      const message = state.buffer.get(next);
      if (message) {
        state.buffer.delete(next);
        state.last = next;
        state.known = true;
        this.deps.deliver(message);
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
      const timer = setTimeout(() => {
        state.timer = null;
        if (this.rooms.get(room) !== state) return;
        if (state.last !== waitingFor || state.buffer.size === 0) return this.advance(room, state);
        this.fill(room, { from: state.last + 1, to: Math.min(...state.buffer.keys()) - 1 }, 'timer');
      }, this.options.gapWaitMs);
      (timer as { unref?: () => void }).unref?.();
      state.timer = timer;
    }
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
          const page = await this.deps.history(room, before, PAGE);
          for (const m of page.messages) if (m.seq >= from && m.seq <= range.to) got.set(m.seq, m);
          empty.push(...page.gaps);
          before = page.messages.length > 0 && page.nextBefore !== null ? page.nextBefore : null;
        }
      } catch (err) {
        // A failed read counts as an attempt; the next one may succeed.
        this.deps.error(err instanceof Error ? err : new Error(String(err)));
      }
      // Forgotten meanwhile (left the room): nothing to deliver.
      if (this.rooms.get(room) !== state) return;
      for (const m of got.values()) if (m.seq > state.last) state.buffer.set(m.seq, m);
      for (const gap of empty) if (gap.to > state.last) state.empty.push(gap);
      this.advance(room, state);
      const missing = this.missing(state, from, range.to);
      if (missing.length === 0) return;
      if (attempt >= this.options.historyAttempts) {
        // Never stall: what history still lacks is skipped, and said so; what it had is delivered.
        for (const skipped of missing) {
          state.empty.push(skipped);
          this.deps.skip(room, skipped);
        }
        this.advance(room, state);
        return;
      }
      // A fill in progress is work to finish: this timer keeps a Node process alive (bounded by historyAttempts).
      await new Promise((resolve) => setTimeout(resolve, this.options.historyRetryMs));
      if (this.rooms.get(room) !== state) return;
    }
  }

  /** The runs of seqs in [from, to] above `last` that are neither buffered nor known empty. */
  private missing(state: RoomState, from: number, to: number): SeqRange[] {
    const runs: SeqRange[] = [];
    for (let seq = Math.max(from, state.last + 1); seq <= to; seq++) {
      if (state.buffer.has(seq)) continue;
      const empty = state.empty.find((r) => r.from <= seq && r.to >= seq);
      if (empty) {
        seq = empty.to;
        continue;
      }
      const run = runs.at(-1);
      if (run && run.to === seq - 1) run.to = seq;
      else runs.push({ from: seq, to: seq });
    }
    return runs;
  }
}
