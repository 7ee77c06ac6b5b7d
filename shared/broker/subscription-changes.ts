/**
 * Channel (un)subscriptions collected over one event-loop turn and sent as
 * one SSUBSCRIBE or SUNSUBSCRIBE per partition and run of the same kind, in
 * the order they were asked for. ioredis's auto-pipelining leaves these
 * commands out (they change the connection's mode), so the subscriber
 * batches here. A Redis Cluster refuses one command for channels of several
 * slots, and a partition's channels share one slot: hence one per partition.
 */
import type { RedisClient } from '../redis/connect.js';

type Kind = 'subscribe' | 'unsubscribe';

interface Run {
  kind: Kind;
  channels: string[];
  waiters: { resolve: () => void; reject: (err: unknown) => void }[];
}

export class SubscriptionChanges {
  /** Per partition, its runs in the order asked. */
  private runs = new Map<number, Run[]>();

  /** `subscriber`: the connection at the time of sending (RedisBus may replace it). */
  constructor(private readonly subscriber: () => RedisClient) {}

  /**
   * `partition`: the channel's partition (its hash tag). Resolves once Redis
   * confirmed the change (with the rest of its run); a failure rejects the whole run.
   */
  add(kind: Kind, channel: string, partition: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.runs.size === 0) setImmediate(this.flush);
      let runs = this.runs.get(partition);
      if (!runs) this.runs.set(partition, (runs = []));
      let run = runs[runs.length - 1];
      if (run?.kind !== kind) runs.push((run = { kind, channels: [], waiters: [] }));
      run.channels.push(channel);
      run.waiters.push({ resolve, reject });
    });
  }

  private readonly flush = (): void => {
    const all = this.runs;
    this.runs = new Map();
    // A connection runs its commands in order, so issuing a partition's
    // runs in turn keeps the order asked for (a partition's channels always
    // go through the same connection, in a Redis Cluster too).
    for (const runs of all.values()) {
      for (const run of runs) {
        const subscriber = this.subscriber();
        const sent = run.kind === 'subscribe' ? subscriber.ssubscribe(...run.channels) : subscriber.sunsubscribe(...run.channels);
        sent.then(
          () => run.waiters.forEach((w) => w.resolve()),
          (err: unknown) => run.waiters.forEach((w) => w.reject(err)),
        );
      }
    }
  };
}
