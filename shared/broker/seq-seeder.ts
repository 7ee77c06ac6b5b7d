/**
 * Gives a room a seq counter valid in its partition's current Redis epoch.
 *
 * A room needs one when it never had a counter, when Redis lost its data (the
 * epoch went missing), or when the epoch was replaced after a seq regression
 * (Redis lost acknowledged writes). A seq that may have been acked must never
 * be assigned again, so the counter starts at the highest of:
 * - what Postgres holds: the highest persisted seq and every range skipped
 *   before (SeqLedger);
 * - what Redis still holds: a stale counter, the last log entry (seed.lua);
 * - the caller's floor: a seq it saw assigned (a gateway's last relayed seq);
 * - and, when the room's counter belonged to an epoch that is gone, `margin`
 *   seqs past Postgres: acked messages not yet persisted were lost with that
 *   epoch, and there were at most PERSIST_MAX_BACKLOG of them per partition
 *   (publish.lua refuses more). That range is recorded as a gap first, so
 *   history reports it and clients stop looking for it.
 */
import type { Counter } from 'prom-client';
import type { Logger } from '../log.js';
import { partitionOf, type RedisKeys } from '../redis/keys.js';
import type { Scripts } from '../redis/scripts.js';
import type { SeqLedger } from '../ports.js';
import type { RedisEpochs } from './redis-epochs.js';

export interface SeqSeederDeps {
  scripts: Scripts;
  keys: RedisKeys;
  epochs: RedisEpochs;
  ledger: SeqLedger;
  /** Seqs skipped past Postgres after a loss: the persistence backlog bound, PERSIST_MAX_BACKLOG. */
  margin: number;
  logger: Logger;
  /** parley_seq_reseeds_total: rooms reseeded past a possible loss. */
  reseeds: Counter;
}

export class SeqSeeder {
  constructor(private readonly deps: SeqSeederDeps) {}

  /** Seeds the room's counter unless it is valid, and resolves its value. */
  async ensure(roomId: string, floor = 0): Promise<number> {
    const { scripts, keys, epochs, ledger, margin } = this.deps;
    const room = roomId.toLowerCase();
    const partition = partitionOf(room);
    const counterKeys: [string, string, string, string] = [keys.roomCounter(room), keys.roomLog(room), keys.partitionEpoch(partition), keys.legacyRoomSeq(room)];
    for (let attempt = 0; ; attempt++) {
      // The cached epoch first; after an EPOCH refusal, the one Redis has now.
      const epoch = attempt === 0 ? await epochs.cached(partition) : await epochs.current(partition);
      try {
        // What Redis still holds of the room bounds what is surely not lost.
        const [state, held] = await scripts.seed(counterKeys, epoch, 0, false, 'peek');
        if (state === 0) return held;
        const reservation = await ledger.reserve(room, epoch, { margin, floor, held });
        const [applied, value] = await scripts.seed(counterKeys, epoch, reservation.base, reservation.lost !== null);
        if (applied === 1 && reservation.lost) {
          this.deps.reseeds.inc();
          this.deps.logger.warn(
            { room, epoch, skipped: reservation.lost, seq: value },
            'room counter reseeded past a Redis data loss: the skipped seqs are reported as a gap',
          );
        }
        return value;
      } catch (err) {
        // The epoch changed between our read and the script: read it again.
        if (!(err instanceof Error && err.message.startsWith('EPOCH')) || attempt >= 3) throw err;
      }
    }
  }
}
