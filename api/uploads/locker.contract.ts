/**
 * The behaviour every tus `Locker` used by parley must have, as one suite run
 * against each implementation (MemoryLocker as the reference, RedisLocker).
 * Modelled on tus-node-server's lockerContract, plus what matters across
 * processes (a second instance, a holder whose lease lapsed).
 *
 * No assertion depends on wall-clock durations: tests wait for events
 * (a requestRelease call, a promise settling) with bounded waits only, so a
 * slow machine makes them slower, never wrong.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { ERRORS } from '@tus/utils';
import type { Lock, Locker } from '@tus/utils';

export interface LockerHarness {
  /**
   * The locker under test. Its acquire timeout must be short (the timeout
   * test waits it out) and shorter than any lease, so that a lock left
   * behind by a broken unlock makes the next acquisition time out.
   */
  locker: Locker;
  /**
   * A second locker sharing the same backend, as another api process would.
   * In-process lockers return the same instance.
   */
  peer(): Promise<Locker>;
  /**
   * Backends with leases only: a locker on the same backend whose holders
   * stop refreshing their lease (a stalled or crashed process), with a lease
   * short enough to lapse during a test, and `isFree(id)` to observe that it did.
   */
  stalled?(): Promise<{ locker: Locker; isFree(id: string): Promise<boolean> }>;
  /** Releases everything the harness created (connections, keys). */
  cleanup(): Promise<void>;
}

/** Upper bound for any single wait in this suite; hitting it is a failure, not a timing result. */
const BOUND_MS = 5_000;

function bounded<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${BOUND_MS} ms`)), BOUND_MS);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

/** A requestRelease callback that counts calls and lets a test await the next one. */
function releaseSpy(onCall?: () => Promise<void> | void) {
  let calls = 0;
  let waiters: (() => void)[] = [];
  const fn = async () => {
    calls++;
    const w = waiters;
    waiters = [];
    for (const resolve of w) resolve();
    await onCall?.();
  };
  return {
    fn,
    get calls() {
      return calls;
    },
    /** Resolves at the next call (or at once when `calls` already reached `n`). */
    called(n = 1): Promise<void> {
      if (calls >= n) return Promise.resolve();
      return new Promise<void>((resolve) => waiters.push(resolve)).then(() => this.called(n));
    },
  };
}

const noSignal = () => new AbortController().signal;

/** Tracks whether a lock() call has settled, without awaiting it. */
function track(promise: Promise<void>) {
  const state = { settled: false, promise };
  promise.then(
    () => (state.settled = true),
    () => (state.settled = true),
  );
  return state;
}

export function lockerContract(name: string, makeLocker: () => Promise<LockerHarness>): void {
  describe(`Locker contract: ${name}`, () => {
    /** Runs a test with a fresh harness and always cleans it up. */
    const withHarness = (fn: (h: LockerHarness) => Promise<void>) => async () => {
      const h = await makeLocker();
      try {
        await fn(h);
      } finally {
        await h.cleanup();
      }
    };

    it(
      'acquires, releases and re-acquires the same id',
      withHarness(async ({ locker }) => {
        const id = randomUUID();
        const first = locker.newLock(id);
        await first.lock(noSignal(), () => {});
        await first.unlock();
        const again = locker.newLock(id);
        await again.lock(noSignal(), () => {});
        await again.unlock();
      }),
    );

    it(
      'is exclusive: a second lock waits until the first unlocks',
      withHarness(async ({ locker }) => {
        const id = randomUUID();
        const holderRelease = releaseSpy();
        const holder = locker.newLock(id);
        await holder.lock(noSignal(), holderRelease.fn);

        const waiter = track(locker.newLock(id).lock(noSignal(), () => {}));
        // Once the holder has been asked to release, the waiter is certainly
        // contending; the holder ignores the request, so it must still wait.
        await bounded(holderRelease.called(2), 'holder asked to release');
        assert.equal(waiter.settled, false, 'second lock acquired while the first was held');

        await holder.unlock();
        await bounded(waiter.promise, 'waiter acquires after unlock');
      }),
    );

    it(
      'calls requestRelease on the holder, which unlocks and hands over',
      withHarness(async ({ locker }) => {
        const id = randomUUID();
        const holder = locker.newLock(id);
        const holderRelease = releaseSpy(() => holder.unlock());
        await holder.lock(noSignal(), holderRelease.fn);

        const contenderRelease = releaseSpy();
        const contender = locker.newLock(id);
        await bounded(contender.lock(noSignal(), contenderRelease.fn), 'contender acquires');
        await contender.unlock();

        assert.equal(holderRelease.calls, 1, 'holder should be asked to release exactly once');
        assert.equal(contenderRelease.calls, 0, 'an uncontended holder is never asked');
      }),
    );

    it(
      'rejects with ERR_LOCK_TIMEOUT when the holder never releases',
      withHarness(async ({ locker }) => {
        const id = randomUUID();
        const holderRelease = releaseSpy();
        const holder = locker.newLock(id);
        await holder.lock(noSignal(), holderRelease.fn);

        await bounded(
          assert.rejects(locker.newLock(id).lock(noSignal(), () => {}), (e) => e === ERRORS.ERR_LOCK_TIMEOUT),
          'contender times out',
        );
        assert.ok(holderRelease.calls >= 1, 'the holder was asked to release before timing out');
        await holder.unlock();
      }),
    );

    it(
      'unlock makes the id available at once',
      withHarness(async ({ locker }) => {
        const id = randomUUID();
        const holderRelease = releaseSpy();
        const holder = locker.newLock(id);
        await holder.lock(noSignal(), holderRelease.fn);
        await holder.unlock();
        // The acquire timeout is shorter than any lease: if unlock had left
        // the lock behind until its lease lapsed, this would time out.
        const next = locker.newLock(id);
        await bounded(next.lock(noSignal(), () => {}), 'lock after unlock');
        await next.unlock();
        assert.equal(holderRelease.calls, 0, 'a released lock has no holder to ask');
      }),
    );

    it(
      'stops waiting when the abort signal fires, and never takes the lock afterwards',
      withHarness(async ({ locker }) => {
        const id = randomUUID();
        const abort = new AbortController();
        // The holder aborts the waiter the moment the waiter contends: then
        // the abort, not the acquire timeout, ends the wait.
        const holder = locker.newLock(id);
        await holder.lock(noSignal(), () => abort.abort());

        const abortedRelease = releaseSpy();
        await bounded(
          assert.rejects(locker.newLock(id).lock(abort.signal, abortedRelease.fn), (e) => e === ERRORS.ERR_LOCK_TIMEOUT),
          'aborted waiter rejects',
        );
        await holder.unlock();

        // Had the aborted waiter kept trying and won, this lock would have to
        // ask it to release (or time out).
        const next = locker.newLock(id);
        await bounded(next.lock(noSignal(), () => {}), 'lock after the aborted waiter');
        await next.unlock();
        assert.equal(abortedRelease.calls, 0, 'the aborted waiter acquired the lock');
      }),
    );

    it(
      'throws when releasing a lock that was never acquired',
      withHarness(async ({ locker }) => {
        await assert.rejects(locker.newLock(randomUUID()).unlock(), /unlocked lock/);
      }),
    );

    it(
      'excludes across two locker instances on one backend (two api processes)',
      withHarness(async (h) => {
        const id = randomUUID();
        const other = await h.peer();
        let a: Lock | undefined;
        // The holder's release request must cross instances; it first checks
        // that the other instance's lock is still waiting, then releases.
        let waiterSettledWhenAsked: boolean | undefined;
        // Declared before lock() runs: an in-process locker may ask the
        // holder synchronously, before track() has returned.
        let waiter: ReturnType<typeof track> | undefined;
        const holderRelease = releaseSpy(async () => {
          waiterSettledWhenAsked ??= waiter?.settled ?? false;
          await a?.unlock();
          a = undefined;
        });
        a = h.locker.newLock(id);
        await a.lock(noSignal(), holderRelease.fn);

        const b = other.newLock(id);
        waiter = track(b.lock(noSignal(), () => {}));
        await bounded(waiter.promise, 'other instance acquires after release');
        assert.equal(waiterSettledWhenAsked, false, 'other instance acquired while the first held the lock');
        assert.equal(holderRelease.calls, 1);

        // And the other way round: the second instance's lock excludes the first.
        await bounded(
          assert.rejects(h.locker.newLock(id).lock(noSignal(), () => {}), (e) => e === ERRORS.ERR_LOCK_TIMEOUT),
          'first instance times out while the second holds',
        );
        await b.unlock();
      }),
    );

    it('a holder whose lease lapsed cannot unlock the next holder', async (t) => {
      const h = await makeLocker();
      try {
        if (!h.stalled) {
          t.skip('no leases in this backend');
          return;
        }
        const id = randomUUID();
        const stalled = await h.stalled();
        const old = stalled.locker.newLock(id);
        await old.lock(noSignal(), () => {});
        // Bounded poll for the lease to lapse (the stalled holder never refreshes).
        await bounded(
          (async () => {
            while (!(await stalled.isFree(id))) await new Promise((r) => setTimeout(r, 20));
          })(),
          'stalled lease lapses',
        );

        const current = h.locker.newLock(id);
        await bounded(current.lock(noSignal(), () => {}), 'new holder acquires the lapsed lock');
        // The old holder now unlocks (its request finally ends): that must
        // be a no-op for the lock it no longer owns.
        await old.unlock();
        assert.equal(await stalled.isFree(id), false, 'old holder deleted the new holder’s lock');
        await bounded(
          assert.rejects(h.locker.newLock(id).lock(noSignal(), () => {}), (e) => e === ERRORS.ERR_LOCK_TIMEOUT),
          'new holder still excludes others',
        );
        await current.unlock();
      } finally {
        await h.cleanup();
      }
    });
  });
}
