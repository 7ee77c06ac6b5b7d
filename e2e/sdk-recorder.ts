/**
 * Records what a ParleyClient tells its application, for tests that drive
 * the SDK against real servers: messages per room in delivery order, skips,
 * history fills, events, state changes, errors and raw frames.
 */
import type { TokenResponse } from '../shared/http/schemas.js';
import type {
  ChatMessage,
  ConnectionState,
  FillReason,
  ParleyClient,
  PresenceEvent,
  RoomEvent,
  SeqRange,
  ServerFrame,
  Session,
  StateInfo,
  TypingIndicator,
} from '../client/src/node.js';

export class Recorder {
  /** Messages delivered through 'message', per room, in delivery order. */
  readonly delivered = new Map<string, ChatMessage[]>();
  /** Ranges given up on ('skip'), per room. */
  readonly skipped = new Map<string, SeqRange[]>();
  /** Ranges read from history ('fill'), and why. */
  readonly reads: { room: string; range: SeqRange; why: FillReason }[] = [];
  readonly events: RoomEvent[] = [];
  readonly removed: RoomEvent[] = [];
  readonly invited: RoomEvent[] = [];
  readonly states: [ConnectionState, StateInfo][] = [];
  readonly errors: Error[] = [];
  readonly typing: TypingIndicator[] = [];
  readonly presence: PresenceEvent[] = [];
  /** Every frame received (messages unpacked), across reconnects. */
  readonly frames: ServerFrame[] = [];
  welcomes = 0;
  private readonly fills = new Set<Promise<void>>();

  constructor(readonly client: ParleyClient) {
    client.on('message', (m) => push(this.delivered, m.room, m));
    client.on('skip', (room, range) => push(this.skipped, room, range));
    client.on('fill', (room, range, why, done) => {
      this.reads.push({ room, range, why });
      this.fills.add(done);
      void done.finally(() => this.fills.delete(done));
    });
    client.on('event', (e) => this.events.push(e));
    client.on('removed', (e) => this.removed.push(e));
    client.on('invited', (e) => this.invited.push(e));
    client.on('state', (state, info) => this.states.push([state, info]));
    client.on('error', (e) => this.errors.push(e));
    client.on('typing', (t) => this.typing.push(t));
    client.on('presence', (p) => this.presence.push(p));
    client.on('frame', (f) => this.frames.push(f));
    client.on('welcome', () => this.welcomes++);
  }

  /** Resolves once every history fill started so far has finished (and those they started). */
  async settled(): Promise<void> {
    while (this.fills.size > 0) await Promise.allSettled([...this.fills]);
  }

  seqs(room: string): number[] {
    return (this.delivered.get(room) ?? []).map((m) => m.seq);
  }
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  let list = map.get(key);
  if (!list) map.set(key, (list = []));
  list.push(value);
}

/** A Session for the SDK from a login answer (e2e/cluster.ts logs users in over plain HTTP). */
export function sessionOf(tokens: TokenResponse): Session {
  const now = Date.now();
  return {
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    accessExpiresAt: now + tokens.expiresIn * 1000,
    refreshExpiresAt: now + tokens.refreshExpiresIn * 1000,
    user: { id: tokens.user.id, username: tokens.user.username },
  };
}

export const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
