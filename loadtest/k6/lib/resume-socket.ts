/**
 * A client that rides out gateway restarts the way docs/protocol.md
 * ("Receiving every message") tells clients to: it connects with `?resume=1`,
 * keeps the last seq it has per room, and when its socket closes it reconnects
 * (after a jittered backoff) and sends `resume` with those positions. Unacked
 * publishes go out again on the next socket with the same cmid (the gateway
 * acks those already stored with `duplicate: true`).
 *
 * It verifies what it receives instead of repairing it, and records
 * (lib/resume-metrics.ts): `resumed.recovered`, the seqs the server announced
 * as missing (`resumed.missing`, `gap` frames: history has them), duplicates
 * (a seq at or below the last one), and silent gaps (seqs skipped without an
 * announcement). A replay arrives before its `resumed` frame, whose `missing`
 * says where it starts, so a room's replay is judged when `resumed` arrives.
 *
 * Every timer belongs to the client and is cleared when it stops: the k6
 * iteration that created it lasts until then.
 */
import { check } from 'k6';
import exec from 'k6/execution';
import { clearInterval, clearTimeout, setInterval, setTimeout, type IntervalID, type TimeoutID } from 'k6/timers';
import { WebSocket, type ErrorEvent, type MessageEvent, type ReadyState } from 'k6/websockets';
import type { ChatMessage, ClientFrame, ClientFrameOf, ServerFrameOf } from '../../../shared/protocol/frames.js';
import { UPGRADE_OPTIONS } from '../../../shared/protocol/constants.js';
import { common } from './config.js';
import { ackLatency, delivered, deliveryLatency, errorFrames, published, serverFrameOf, welcomeLatency } from './metrics.js';
import { loadBody, sentAtOf } from './payload.js';
import { duplicates, missingAnnounced, publishRetries, reconnectLatency, reconnects, resumeRecovered, silentGaps } from './resume-metrics.js';
import { connectArgs } from './socket.js';

const OPEN: ReadyState = 1;
const CLOSED: ReadyState = 3;
const RESUME_REF = 'resume';
/** Reconnect backoff: the first try within a second (a 1012 restart closes sockets on purpose), doubling to 10 s. */
const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 10_000;

export interface ResumingOptions {
  token: string;
  /** The run id from setup(): only bodies carrying it are timed. */
  run: string;
  rooms: string[];
}

let clientsCreated = 0;
let errorLogged = false;

export class ResumingClient {
  private ws: WebSocket | null = null;
  private openedAt = 0;
  private welcomed = false;
  private stopping = false;
  private finished = false;
  /** Failed connection attempts since the last resumed socket. */
  private attempts = 0;
  /** When the socket closed unasked; cleared once a new one has resumed every room. */
  private droppedAt: number | null = null;
  private readonly lastSeq = new Map<string, number>();
  /** Rooms whose `resumed` this socket still awaits, with the seqs replayed so far. */
  private readonly replaying = new Map<string, number[]>();
  /** cmid → the frame and when it was first sent, until acked. */
  private readonly pending = new Map<string, { frame: ClientFrameOf<'publish'>; sentAt: number }>();
  private readonly cmidPrefix: string;
  private publishes = 0;
  private readonly timeouts: TimeoutID[] = [];
  private readonly intervals: IntervalID[] = [];

  constructor(private readonly options: ResumingOptions) {
    clientsCreated += 1;
    this.cmidPrefix = `${options.run}.${exec.vu.idInTest}.r${clientsCreated}`;
    for (const room of options.rooms) this.lastSeq.set(room, 0);
    this.connect();
  }

  /** Publishes to `room` every `intervalMs` while a socket is resumed; ticks while disconnected are skipped. */
  publishEvery(room: string, intervalMs: number, delayMs: number): void {
    this.after(delayMs, () => {
      this.publish(room);
      this.intervals.push(setInterval(() => this.publish(room), Math.max(1, Math.round(intervalMs))));
    });
  }

  /** Stops at `epochMs`: no more publishes, PARLEY_ACK_GRACE for outstanding acks, then closes. */
  stopAt(epochMs: number): void {
    this.after(epochMs - Date.now(), () => {
      this.stopping = true;
      this.intervals.forEach(clearInterval);
      if (this.pending.size === 0 || !this.isOpen()) this.finish();
      else this.after(common.ackGraceMs, () => this.finish());
    });
  }

  private connect(): void {
    if (this.stopping) return;
    const [url, params] = connectArgs(this.options.token, [UPGRADE_OPTIONS.resume]);
    this.openedAt = Date.now();
    this.welcomed = false;
    this.replaying.clear();
    const ws = new WebSocket(url, null, params);
    this.ws = ws;
    // Stopped while it was connecting: close once open (closing a connecting
    // k6 socket can block the VU's event loop until the handshake ends).
    ws.onopen = () => {
      if (this.finished) ws.close();
    };
    ws.onmessage = (event) => this.receive(event);
    ws.onerror = (event) => {
      this.failed(event);
      // A refused upgrade may end without a close event: treat it as one.
      this.after(0, () => {
        if (ws.readyState === CLOSED) this.closed(ws);
      });
    };
    ws.onclose = () => this.closed(ws);
    this.after(common.welcomeTimeoutMs, () => {
      if (this.ws === ws && !this.welcomed && ws.readyState === OPEN) ws.close();
    });
  }

  private isOpen(): boolean {
    return this.ws !== null && this.ws.readyState === OPEN && this.welcomed;
  }

  private publish(room: string): void {
    // Only on a resumed socket: before that, the client does not know the room's state.
    if (this.stopping || !this.isOpen() || this.replaying.size > 0) return;
    this.publishes += 1;
    const cmid = `${this.cmidPrefix}.${this.publishes}`;
    const frame: ClientFrameOf<'publish'> = { type: 'publish', ref: cmid, room, cmid, body: loadBody(this.options.run, common.bodyBytes) };
    this.pending.set(cmid, { frame, sentAt: Date.now() });
    this.send(frame);
    published.add(1);
  }

  private send(frame: ClientFrame): void {
    this.ws?.send(JSON.stringify(frame));
  }

  private after(ms: number, fn: () => void): void {
    this.timeouts.push(setTimeout(fn, Math.max(0, Math.round(ms))));
  }

  private receive(event: MessageEvent | undefined): void {
    const frame = serverFrameOf(event);
    if (frame === null) return;
    const at = event!.timestamp;
    switch (frame.type) {
      case 'welcome':
        this.welcome(frame, at);
        break;
      case 'message':
        this.message(frame, at);
        break;
      case 'messages':
        for (const message of frame.messages) this.message(message, at);
        break;
      case 'resumed':
        this.resumed(frame);
        break;
      case 'gap':
        this.gap(frame);
        break;
      case 'ack':
        this.ack(frame, at);
        break;
      case 'error':
        this.error(frame);
        break;
      default:
        break;
    }
  }

  private welcome(frame: ServerFrameOf<'welcome'>, at: number): void {
    if (this.welcomed) return;
    this.welcomed = true;
    welcomeLatency.add(at - this.openedAt);
    check(frame, { 'subscribed to its rooms': (w) => this.options.rooms.every((room) => w.rooms.includes(room)) });
    for (const room of this.options.rooms) this.replaying.set(room, []);
    this.send({ type: 'resume', ref: RESUME_REF, rooms: this.options.rooms.map((room) => ({ room, after: this.lastSeq.get(room) ?? 0 })) });
    // Publishes that ended without an ack on the last socket: same frame, same cmid.
    for (const { frame: publish } of this.pending.values()) {
      this.send(publish);
      publishRetries.add(1);
    }
  }

  private message(message: ChatMessage, at: number): void {
    const replay = this.replaying.get(message.room);
    if (replay !== undefined) {
      replay.push(message.seq);
      return;
    }
    if (!this.lastSeq.has(message.room)) return;
    this.accept(message.room, message.seq);
    const sentAt = sentAtOf(message.body, this.options.run);
    if (sentAt === null) return;
    deliveryLatency.add(at - sentAt);
    delivered.add(1);
  }

  /** Takes `seq` as the room's next message: a duplicate at or below the last seq, a silent gap beyond the next. */
  private accept(room: string, seq: number): void {
    const last = this.lastSeq.get(room) ?? 0;
    if (seq <= last) {
      duplicates.add(1);
      return;
    }
    if (seq > last + 1) silentGaps.add(seq - last - 1);
    this.lastSeq.set(room, seq);
  }

  /** Seqs the server says it will not send here: they are read from history, and the position moves past them. */
  private skip(room: string, range: { from: number; to: number }): void {
    missingAnnounced.add(range.to - range.from + 1);
    const last = this.lastSeq.get(room) ?? 0;
    if (range.from > last + 1) silentGaps.add(range.from - last - 1);
    this.lastSeq.set(room, Math.max(last, range.to));
  }

  private resumed(frame: ServerFrameOf<'resumed'>): void {
    const replay = this.replaying.get(frame.room);
    if (replay === undefined) return;
    this.replaying.delete(frame.room);
    resumeRecovered.add(frame.recovered);
    if (frame.missing) this.skip(frame.room, frame.missing);
    for (const seq of replay) this.accept(frame.room, seq);
    // The replay must reach the room's seq when it was taken: live messages follow from there.
    const last = this.lastSeq.get(frame.room) ?? 0;
    if (frame.seq > last) {
      silentGaps.add(frame.seq - last);
      this.lastSeq.set(frame.room, frame.seq);
    }
    if (this.replaying.size > 0) return;
    this.attempts = 0;
    if (this.droppedAt !== null) {
      reconnectLatency.add(Date.now() - this.droppedAt);
      this.droppedAt = null;
    }
  }

  private gap(frame: ServerFrameOf<'gap'>): void {
    if (this.lastSeq.has(frame.room)) this.skip(frame.room, frame.missing);
  }

  private ack(frame: ServerFrameOf<'ack'>, at: number): void {
    const entry = this.pending.get(frame.cmid);
    if (entry === undefined) return;
    this.pending.delete(frame.cmid);
    ackLatency.add(at - entry.sentAt);
    check(frame, { 'publish acked': () => true });
    if (this.stopping && this.pending.size === 0) this.finish();
  }

  private error(frame: ServerFrameOf<'error'>): void {
    errorFrames.add(1, { code: frame.code });
    if (frame.ref === RESUME_REF) {
      // The gateway could not read a room (`unavailable`): reconnect and resume again.
      // Anything else (`bad_resume`, `room_not_found`) leaves the room paused
      // on this socket; the error frame counts it, and the others go on.
      if (frame.retryable) this.ws?.close();
      else this.replaying.clear();
      return;
    }
    const entry = frame.ref === undefined ? undefined : this.pending.get(frame.ref);
    if (entry === undefined) return;
    if (frame.retryable && !this.stopping) {
      this.after(frame.retryAfterMs ?? 1000, () => {
        if (this.pending.has(entry.frame.cmid) && this.isOpen()) this.send(entry.frame);
      });
      return;
    }
    this.pending.delete(entry.frame.cmid);
    check(frame, { 'publish acked': () => false });
  }

  private failed(event: ErrorEvent | undefined): void {
    if (errorLogged || event === undefined) return;
    errorLogged = true;
    console.warn(`parley: VU ${exec.vu.idInTest}: socket error (further ones on this VU are not logged): ${event.error}`);
  }

  private closed(ws: WebSocket): void {
    if (this.ws !== ws) return;
    this.ws = null;
    this.welcomed = false;
    this.replaying.clear();
    if (this.stopping) {
      this.finish();
      return;
    }
    reconnects.add(1);
    this.droppedAt ??= Date.now();
    const backoff = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** this.attempts);
    this.attempts += 1;
    // Jitter, so the clients of one stopped gateway do not all arrive at once.
    this.after(backoff * (0.5 + Math.random()), () => this.connect());
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.stopping = true;
    this.timeouts.forEach(clearTimeout);
    this.intervals.forEach(clearInterval);
    for (let i = 0; i < this.pending.size; i++) check(false, { 'publish acked': (acked) => acked });
    this.pending.clear();
    const ws = this.ws;
    this.ws = null;
    if (ws !== null && ws.readyState === OPEN) ws.close();
  }
}
