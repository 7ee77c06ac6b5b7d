/**
 * RoomLog over Redis: the room stream (entry id `<seq>-0`, field `m`) and the
 * room counter (hash {n, e}, valid while `e` is the partition's epoch). The
 * one module that reads those structures; publish.lua and seed.lua write them.
 *
 * `since` reads the entries after a position, the counter, the partition's
 * epoch and the oldest entry in one MULTI, so the four agree: publish.lua and
 * seed.lua change them together, atomically. A counter that is missing or
 * from another epoch is seeded (through the given seeder) and the snapshot
 * taken again.
 */
import type { RedisClient } from '../redis/connect.js';
import type { Logger } from '../log.js';
import { partitionOf, type RedisKeys } from '../redis/keys.js';
import type { RoomLog, RoomLogSnapshot } from '../ports.js';
import type { ChatMessage } from '../protocol/frames.js';
import { decodeEntry, envelopeToMessage } from './envelope.js';

type Entries = [id: string, fields: string[]][];

const seqOf = (id: string) => Number(id.slice(0, id.indexOf('-')));

/** Seeds a room's counter in the current epoch (SeqSeeder.ensure); resolves its value. */
export type SeedCounter = (room: string, floor: number) => Promise<number>;

export class RedisRoomLog implements RoomLog {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly seed: SeedCounter,
    private readonly logger: Logger,
  ) {}

  async since(roomId: string, after: number, floor = 0): Promise<RoomLogSnapshot> {
    const room = roomId.toLowerCase();
    const log = this.keys.roomLog(room);
    for (let attempt = 0; attempt < 3; attempt++) {
      const multi = this.redis.multi();
      // A position beyond the safe integers would not print as an entry id; no entry is after it.
      if (Number.isSafeInteger(after)) multi.xrange(log, `(${after}-0`, '+');
      else multi.echo('[]');
      const replies = await multi
        .hmget(this.keys.roomCounter(room), 'n', 'e')
        .get(this.keys.epochOfRoom(room))
        .xrange(log, '-', '+', 'COUNT', 1)
        .exec();
      if (!replies) throw new Error('room log snapshot was aborted');
      for (const [err] of replies) if (err) throw err;
      const entries = Number.isSafeInteger(after) ? (replies[0]![1] as Entries) : [];
      const [n, e] = replies[1]![1] as [string | null, string | null];
      const epoch = replies[2]![1] as string | null;
      if (n === null || epoch === null || e !== epoch) {
        await this.seed(room, floor);
        continue;
      }
      const first = replies[3]![1] as Entries;
      return {
        messages: this.decode(room, entries),
        seq: Number(n),
        oldest: first.length > 0 ? seqOf(first[0]![0]) : null,
        epoch,
      };
    }
    throw new Error(`the counter of room ${room} could not be seeded`);
  }

  async page(roomId: string, options: { before?: number | undefined; limit: number }): Promise<ChatMessage[]> {
    const room = roomId.toLowerCase();
    // Entry ids are `<seq>-0`, so the exclusive bound `(<before>-0` is "seq <
    // before". A bound beyond the safe integers would not print as an entry id
    // (1e+21); any such bound is above every seq, which is the newest page.
    const end = options.before !== undefined && Number.isSafeInteger(options.before) ? `(${options.before}-0` : '+';
    const entries = (await this.redis.xrevrange(this.keys.roomLog(room), end, '-', 'COUNT', options.limit)) as Entries;
    return this.decode(room, entries);
  }

  async get(roomId: string, seq: number): Promise<ChatMessage | null> {
    const room = roomId.toLowerCase();
    if (!Number.isSafeInteger(seq)) return null;
    const entries = (await this.redis.xrange(this.keys.roomLog(room), `${seq}-0`, `${seq}-0`)) as Entries;
    return this.decode(room, entries)[0] ?? null;
  }

  async heads(rooms: readonly string[]): Promise<Map<string, number | null>> {
    const result = new Map<string, number | null>();
    // One pipeline per partition (its epoch and its rooms' counters share a
    // slot; a Redis Cluster refuses a pipeline across shards), all at once.
    const byPartition = new Map<number, string[]>();
    for (const room of rooms) {
      const partition = partitionOf(room.toLowerCase());
      const list = byPartition.get(partition);
      if (list) list.push(room);
      else byPartition.set(partition, [room]);
    }
    await Promise.all(
      [...byPartition].map(async ([partition, list]) => {
        const pipe = this.redis.pipeline().get(this.keys.partitionEpoch(partition));
        for (const room of list) pipe.hmget(this.keys.roomCounter(room.toLowerCase()), 'n', 'e');
        const replies = (await pipe.exec()) ?? [];
        for (const [err] of replies) if (err) throw err;
        const epoch = replies[0]![1] as string | null;
        list.forEach((room, i) => {
          const [n, e] = replies[1 + i]![1] as [string | null, string | null];
          result.set(room, n !== null && epoch !== null && e === epoch ? Number(n) : null);
        });
      }),
    );
    return result;
  }

  /**
   * An entry must be this room's and sit at its own seq; anything else would
   * put a message at the wrong place. publish.lua writes every entry, so a
   * bad one means corruption or a foreign writer: worth an operator's look,
   * not worth failing the read.
   */
  private decode(room: string, entries: Entries): ChatMessage[] {
    const messages: ChatMessage[] = [];
    let skipped = 0;
    for (const [entryId, fields] of entries) {
      const envelope = decodeEntry(fields);
      if (!envelope || envelope.room.toLowerCase() !== room || entryId !== `${envelope.seq}-0`) {
        skipped++;
        continue;
      }
      messages.push(envelopeToMessage(envelope));
    }
    if (skipped > 0) this.logger.warn({ room, skipped }, 'undecodable room log entries skipped');
    return messages;
  }
}
