/**
 * History with read-your-writes: Postgres merged with the Redis room log.
 *
 * An acked message is in the room log (`keys.roomLog`) at once, but reaches
 * Postgres only when a worker gets to it. Serving history from Postgres alone
 * would let a client get an ack and then not find its message; reading the
 * log's recent window as well closes that gap.
 *
 * One page is: up to `limit` log entries below `before` (RoomLog.page), then
 * the Postgres page for the same bound, merged by seq. The log is read first
 * on purpose: Postgres only gains rows, so a message trimmed from the log
 * before our log read was either persisted by the time Postgres is read, or
 * the worker is behind by more than the whole log window. Reading Postgres
 * first (or concurrently) would add a race in which a message persisted just
 * after the Postgres read and trimmed just before the log read is in neither.
 *
 * Taking the top `limit` of each source is enough: any seq among the true top
 * `limit` below `before` is in the log or in Postgres, and in either source
 * fewer than `limit` entries can rank above it, so that source returns it.
 */
import type { Logger } from '../log.js';
import type { History, HistoryPage, RoomLog } from '../ports.js';
import type { ChatMessage } from '../protocol/frames.js';

/**
 * Default bound on the log read. ioredis retries a command across reconnects
 * (up to `maxRetriesPerRequest`, seconds in a long outage); history should
 * degrade to Postgres-only promptly instead of hanging with Redis.
 */
export const DEFAULT_LOG_TIMEOUT_MS = 1000;

export interface MergedHistoryOptions {
  /** The durable history (Postgres). */
  durable: History;
  /** The recent window (Redis). */
  roomLog: RoomLog;
  logger: Logger;
  /** How long to wait for the log read before serving Postgres alone. */
  logTimeoutMs?: number;
}

export class MergedHistory implements History {
  private readonly durable: History;
  private readonly roomLog: RoomLog;
  private readonly logger: Logger;
  private readonly logTimeoutMs: number;

  constructor(options: MergedHistoryOptions) {
    this.durable = options.durable;
    this.roomLog = options.roomLog;
    this.logger = options.logger;
    this.logTimeoutMs = options.logTimeoutMs ?? DEFAULT_LOG_TIMEOUT_MS;
  }

  async page(room: string, options: { before?: number | undefined; limit: number }): Promise<HistoryPage> {
    const logged = await this.readLog(room, options);
    const durable = await this.durable.page(room, options);

    const bySeq = new Map<number, ChatMessage>();
    for (const m of logged) bySeq.set(m.seq, m);
    // Postgres wins a seq held by both: it is the same message (the worker
    // copies the log's envelope), and Postgres is the record of it, e.g. with
    // the author id already cleared if the author was deleted.
    for (const m of durable.messages) bySeq.set(m.seq, m);
    const messages = [...bySeq.values()].sort((a, b) => b.seq - a.seq).slice(0, options.limit);

    // A room's seqs run 1, 2, 3, … with no gaps but the recorded skipped
    // ranges (MessagePublisher's contract), so an older page exists exactly
    // when the lowest seq here is above 1. Neither source can say so by itself
    // (the log's window ends somewhere in the middle; Postgres may not have
    // the newest rows), and probing both for one row more would cost a second
    // query. For a fully persisted room this is the same answer Postgres's own
    // one-row-more probe gives. Below a skipped range the cost is at most one
    // extra, empty page: never a hidden one.
    const lowest = messages.at(-1)?.seq;
    const full = messages.length === options.limit;
    // Postgres's gaps cover its own page's span, which reaches at least as low as this one.
    const spanFrom = full ? lowest! : 1;
    return {
      messages,
      nextBefore: lowest !== undefined && lowest > 1 ? lowest : null,
      gaps: durable.gaps.filter((g) => g.to >= spanFrom),
    };
  }

  /**
   * The log's newest `limit` messages below `before`, or none if Redis fails
   * or is slow: history must not break because Redis hiccups, so the page is
   * then served from Postgres alone (and may miss messages not yet
   * persisted), with a warning.
   */
  private async readLog(room: string, options: { before?: number | undefined; limit: number }): Promise<ChatMessage[]> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.roomLog.page(room, options),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${this.logTimeoutMs} ms`)), this.logTimeoutMs);
        }),
      ]);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, room }, 'room log unavailable: history served from Postgres only');
      return [];
    } finally {
      clearTimeout(timer);
    }
  }
}
