/**
 * Channel (un)subscriptions collected over one event-loop turn and sent as
 * one SUBSCRIBE or UNSUBSCRIBE per run of the same kind, in the order they
 * were asked for. ioredis's auto-pipelining leaves these commands out (they
 * change the connection's mode), so the subscriber connection batches here.
 */
import type { Redis } from 'ioredis';

type Kind = 'subscribe' | 'unsubscribe';

interface Run {
  kind: Kind;
  channels: string[];
  waiters: { resolve: () => void; reject: (err: unknown) => void }[];
}

export class SubscriptionChanges {
  private runs: Run[] = [];

  constructor(private readonly subscriber: Redis) {}

  /** Resolves once Redis confirmed the change (with the rest of its run); a failure rejects the whole run. */
  add(kind: Kind, channel: string): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.runs.length === 0) setImmediate(this.flush);
      let run = this.runs[this.runs.length - 1];
      if (run?.kind !== kind) this.runs.push((run = { kind, channels: [], waiters: [] }));
      run.channels.push(channel);
      run.waiters.push({ resolve, reject });
    });
  }

  private readonly flush = (): void => {
    const runs = this.runs;
    this.runs = [];
    // One connection runs its commands in order, so issuing them in turn keeps the order asked for.
    for (const run of runs) {
      const sent = run.kind === 'subscribe' ? this.subscriber.subscribe(...run.channels) : this.subscriber.unsubscribe(...run.channels);
      sent.then(
        () => run.waiters.forEach((w) => w.resolve()),
        (err: unknown) => run.waiters.forEach((w) => w.reject(err)),
      );
    }
  };
}
