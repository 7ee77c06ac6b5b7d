/**
 * A tus `Locker` shared by every api replica through Redis, so that two
 * requests for one upload (a resumed PATCH arriving at another replica while
 * the first PATCH is still streaming, a HEAD racing a PATCH) never write the
 * upload concurrently. Semantics follow @tus/server's MemoryLocker:
 *
 * - a lock is exclusive per upload id;
 * - a waiter asks the holder to release (the holder's `requestRelease`, which
 *   tus wires to cancelling the holder's request), here across processes via
 *   the upload's pub/sub channel;
 * - `lock()` rejects with `ERRORS.ERR_LOCK_TIMEOUT` when acquisition takes
 *   longer than the acquire timeout, and also when the abort signal fires
 *   (MemoryLocker reports both the same way, and tus maps it to a 500).
 *
 * Redis layout (names in shared/redis/keys.ts): the lock is a STRING holding
 * a random owner token with a lease (PX), refreshed while held, so a crashed
 * holder's lock disappears after one lease. Release and refresh are
 * token-checked in Lua, so a holder whose lease lapsed can never delete or
 * extend the lock of the process that took over.
 */
import { randomBytes } from 'node:crypto';
import { duplicateRedis, type RedisClient } from '../../shared/redis/connect.js';
import { ERRORS } from '@tus/utils';
import type { Lock, Locker, RequestRelease } from '@tus/utils';
import type { RedisKeys } from '../../shared/redis/keys.js';
import { registerScripts } from '../../shared/redis/scripts.js';
import type { Scripts } from '../../shared/redis/scripts.js';

export interface RedisLockerOptions {
  /** Command connection (shared with the rest of the api). Never put into subscriber mode. */
  redis: RedisClient;
  keys: RedisKeys;
  /** Lease of a held lock; refreshed every leaseMs/3 while held. Default 30 s. */
  leaseMs?: number;
  /**
   * Interval of lease refreshes. Default leaseMs/3, so two refreshes can fail
   * before the lease lapses. Tests set it above leaseMs to simulate a holder
   * that stalled (or crashed) without unlocking.
   */
  refreshIntervalMs?: number;
  /** How long `lock()` may wait before rejecting with ERR_LOCK_TIMEOUT. Default 30 s, like MemoryLocker. */
  acquireTimeoutMs?: number;
  /** First retry delay while the lock is held elsewhere; doubles up to retryMaxMs. */
  retryMinMs?: number;
  retryMaxMs?: number;
}

/** Messages on an upload's lock channel. */
const RELEASE = 'release';
const UNLOCKED = 'unlocked';

type Listener = (message: string) => void;

/**
 * One subscriber connection per RedisLocker, shared by all its locks: a
 * connection per lock would cost a socket per in-flight upload request.
 * Channels are reference-counted; SUBSCRIBE/UNSUBSCRIBE are issued on the
 * 0→1 and 1→0 transitions, in call order on one connection, so interleaved
 * subscribe/unsubscribe calls always end in the right state.
 */
class SharedSubscriber {
  private conn: RedisClient | undefined;
  private readonly listeners = new Map<string, Set<Listener>>();
  /** The SUBSCRIBE in flight or done for each subscribed channel; later listeners await the same one. */
  private readonly ready = new Map<string, Promise<unknown>>();

  constructor(private readonly source: RedisClient) {}

  private connection(): RedisClient {
    if (!this.conn) {
      this.conn = duplicateRedis(this.source);
      this.conn.on('message', (channel: string, message: string) => {
        const set = this.listeners.get(channel);
        if (!set) return;
        // Copy: a listener may unsubscribe (unlock) while we iterate.
        for (const listener of [...set]) listener(message);
      });
      // Errors surface as failed SUBSCRIBE promises and as missed messages,
      // which waiters tolerate (they retry on a timer anyway); without a
      // handler ioredis would log every reconnect attempt as unhandled.
      this.conn.on('error', () => {});
    }
    return this.conn;
  }

  /** Resolves once Redis confirmed the subscription, so no later publish is missed. */
  async subscribe(channel: string, listener: Listener): Promise<void> {
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
      this.ready.set(channel, this.connection().subscribe(channel));
    }
    set.add(listener);
    await this.ready.get(channel);
  }

  unsubscribe(channel: string, listener: Listener): void {
    const set = this.listeners.get(channel);
    if (!set || !set.delete(listener)) return;
    if (set.size > 0) return;
    this.listeners.delete(channel);
    this.ready.delete(channel);
    // Fire and forget: a failed UNSUBSCRIBE only leaves an unused channel on
    // this connection, whose messages find no listener.
    this.conn?.unsubscribe(channel).catch(() => {});
  }

  close(): void {
    this.conn?.disconnect();
    this.conn = undefined;
    this.listeners.clear();
    this.ready.clear();
  }
}

export class RedisLocker implements Locker {
  readonly leaseMs: number;
  readonly refreshIntervalMs: number;
  readonly acquireTimeoutMs: number;
  readonly retryMinMs: number;
  readonly retryMaxMs: number;
  readonly redis: RedisClient;
  readonly keys: RedisKeys;
  readonly scripts: Scripts;
  readonly subscriber: SharedSubscriber;

  constructor(options: RedisLockerOptions) {
    this.redis = options.redis;
    this.keys = options.keys;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.refreshIntervalMs = options.refreshIntervalMs ?? Math.max(1, Math.floor(this.leaseMs / 3));
    this.acquireTimeoutMs = options.acquireTimeoutMs ?? 30_000;
    this.retryMinMs = options.retryMinMs ?? 10;
    this.retryMaxMs = options.retryMaxMs ?? 500;
    this.scripts = registerScripts(this.redis);
    this.subscriber = new SharedSubscriber(this.redis);
  }

  newLock(id: string): Lock {
    return new RedisLock(id, this);
  }

  /**
   * Closes the subscriber connection. Locks still held are not released:
   * their leases run out (or their requests unlock them before shutdown).
   */
  close(): void {
    this.subscriber.close();
  }
}

/** What a lock holds between a successful `lock()` and `unlock()`. */
interface Held {
  token: string;
  refresh: NodeJS.Timeout;
  onMessage: Listener;
}

class RedisLock implements Lock {
  private held: Held | undefined;

  constructor(
    private readonly id: string,
    private readonly locker: RedisLocker,
  ) {}

  private get key(): string {
    return this.locker.keys.tusLock(this.id);
  }

  private get channel(): string {
    return this.locker.keys.tusLockChannel(this.id);
  }

  async lock(signal: AbortSignal, requestRelease: RequestRelease): Promise<void> {
    if (this.held) throw new Error(`tus lock ${this.id} is already held by this Lock`);
    const { redis, subscriber, leaseMs, acquireTimeoutMs, retryMinMs, retryMaxMs } = this.locker;
    const token = randomBytes(16).toString('hex');
    const deadline = Date.now() + acquireTimeoutMs;

    // While waiting, an `unlocked` message cuts the current backoff short.
    let wake: (() => void) | undefined;
    const onWaitMessage: Listener = (message) => {
      if (message === UNLOCKED) wake?.();
    };
    const onAbort = () => wake?.();
    signal.addEventListener('abort', onAbort);
    let subscribed = false;
    try {
      let delay = retryMinMs;
      for (;;) {
        if (signal.aborted) throw ERRORS.ERR_LOCK_TIMEOUT;
        const ok = await redis.set(this.key, token, 'PX', leaseMs, 'NX');
        if (ok === 'OK') break;
        if (signal.aborted || Date.now() >= deadline) throw ERRORS.ERR_LOCK_TIMEOUT;
        if (!subscribed) {
          // Subscribe before the next attempt, so an unlock between that
          // attempt and our sleep is not missed.
          await subscriber.subscribe(this.channel, onWaitMessage);
          subscribed = true;
        }
        // Ask the holder, wherever it runs, to finish its request. Repeated
        // on every retry: a holder that acquired after our last publish (or
        // whose subscription was not yet confirmed) would otherwise never hear it.
        await redis.publish(this.channel, RELEASE);
        const sleep = Math.min(delay, Math.max(0, deadline - Date.now()));
        delay = Math.min(delay * 2, retryMaxMs);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, sleep);
          function done() {
            clearTimeout(timer);
            wake = undefined;
            resolve();
          }
          wake = done;
        });
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      if (subscribed) subscriber.unsubscribe(this.channel, onWaitMessage);
    }

    // Held. Forward release requests to the holder's request; at most one
    // call in flight, since several waiters (or one waiter's retries) may ask
    // at once and one cancellation suffices.
    let releasing = false;
    const callRelease = () => {
      if (releasing) return;
      releasing = true;
      Promise.resolve()
        .then(requestRelease)
        // The callback belongs to tus (it cancels the request); its failure
        // must not crash the process, and the next request retries it.
        .catch(() => {})
        .finally(() => {
          releasing = false;
        });
    };
    const onMessage: Listener = (message) => {
      if (message === RELEASE && this.held?.token === token) callRelease();
    };
    const refresh = setInterval(() => {
      this.locker.scripts.tusRefresh(this.key, token, leaseMs).then(
        (extended) => {
          // The lease lapsed (a stalled event loop, a Redis failover) and the
          // lock may now be someone else's: stop writing, like a release request.
          if (extended === 0 && this.held?.token === token) callRelease();
        },
        // A failed refresh is retried on the next tick; the lease allows two misses.
        () => {},
      );
    }, this.locker.refreshIntervalMs);
    // A held lock must not keep the process alive on its own.
    refresh.unref();
    this.held = { token, refresh, onMessage };
    try {
      await subscriber.subscribe(this.channel, onMessage);
    } catch {
      // Without the subscription we cannot hear release requests, but we do
      // own the lock; waiters then get it when this request ends or the
      // lease lapses, which is still correct, only slower.
    }
  }

  async unlock(): Promise<void> {
    const held = this.held;
    // MemoryLocker's message and behaviour for a lock that was never taken.
    if (!held) throw new Error('Releasing an unlocked lock!');
    // Detach first (synchronously), so no release request reaches a lock
    // that is going away and a re-lock of this object starts clean.
    this.held = undefined;
    clearInterval(held.refresh);
    this.locker.subscriber.unsubscribe(this.channel, held.onMessage);
    // 0 means our lease had lapsed and the key is gone or someone else's:
    // nothing of ours to release. Not an error for the caller (tus unlocks in
    // a `finally`, and a throw there would turn a finished request into a 500).
    await this.locker.scripts.tusUnlock(this.key, held.token, this.channel);
  }
}
