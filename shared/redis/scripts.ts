/**
 * Loads the Lua scripts beside this module and registers them on a
 * connection. ioredis sends EVALSHA and falls back to EVAL when the script
 * cache was flushed, so scripts survive Redis restarts.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { RedisClient } from './connect.js';

type Arg = string | number;
/**
 * One message's outcome from publish.lua: [1, seq] accepted, [0, "seq:id:ms"]
 * a duplicate cmid, [-1, error] refused with nothing written. [-2, reason] is
 * PublishBatcher's: accepted by the primary, but too few replicas had it in time.
 */
export type PublishOutcome = [1, number] | [0, string] | [-1 | -2, string];

/** Scripts whose callers batch them (shared/broker/publish-batch.ts): left out of ioredis auto-pipelining. */
export const SELF_BATCHED_SCRIPTS = ['parleyPublish'] as const;

type ScriptFn = (...args: Arg[]) => Promise<unknown>;

const lua = (name: string) => readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');

const DEFINITIONS = {
  parleyPublish: { numberOfKeys: undefined, file: 'publish' },
  parleySeed: { numberOfKeys: 4, file: 'seed' },
  parleyBump: { numberOfKeys: 1, file: 'bump' },
  parleyAck: { numberOfKeys: 1, file: 'ack' },
  parleyPresenceConnect: { numberOfKeys: 5, file: 'presence_connect' },
  parleyPresenceDisconnect: { numberOfKeys: 4, file: 'presence_disconnect' },
  parleyTusUnlock: { numberOfKeys: 1, file: 'tus_unlock' },
  parleyTusRefresh: { numberOfKeys: 1, file: 'tus_refresh' },
} as const;

export interface Scripts {
  /** See lua/publish.lua for KEYS/ARGV: one outcome per message, in order. */
  publish(keys: string[], args: Arg[]): Promise<PublishOutcome[]>;
  /**
   * publish, then `WAIT replicas timeoutMs` in one pipeline: on a Redis
   * Cluster a pipeline goes to the node of its keys' slot, so the WAIT runs
   * on the connection that ran the script (a keyless WAIT on its own would go
   * to any node). Resolves the outcomes and how many replicas confirmed.
   */
  publishAndWait(keys: string[], args: Arg[], replicas: number, timeoutMs: number): Promise<[PublishOutcome[], number]>;
  /**
   * See lua/seed.lua: [1, value] when this call seeded the counter, [0, value]
   * when it was valid already; with `peek`, [2, held] without writing.
   */
  seed(keys: [string, string, string, string], epoch: string, base: number, lost: boolean, peek?: 'peek'): Promise<[0 | 1 | 2, number]>;
  /** See lua/bump.lua: 1 when the epoch was replaced. */
  bump(epochKey: string, seen: string, next: string): Promise<number>;
  /** See lua/ack.lua. */
  ack(stream: string, group: string, ids: string[]): Promise<number>;
  /** See lua/presence_connect.lua: [1, status JSON or null] when the user just came online, [0] otherwise. */
  presenceConnect(keys: [string, string, string, string, string], gatewayId: string, userId: string, now: number): Promise<[0] | [1, string | null]>;
  /** See lua/presence_disconnect.lua: 1 when the user just went offline. */
  presenceDisconnect(keys: [string, string, string, string], gatewayId: string, userId: string, now: number, count: 1 | 'all'): Promise<number>;
  /** See lua/tus_unlock.lua: 1 when released, 0 when the lock was no longer ours. */
  tusUnlock(lockKey: string, token: string, channel: string): Promise<number>;
  /** See lua/tus_refresh.lua: 1 when the lease was extended, 0 when the lock was no longer ours. */
  tusRefresh(lockKey: string, token: string, leaseMs: number): Promise<number>;
}

export function registerScripts(redis: RedisClient): Scripts {
  const publishLua = lua(DEFINITIONS.parleyPublish.file);
  const publishSha = createHash('sha1').update(publishLua).digest('hex');
  for (const [name, def] of Object.entries(DEFINITIONS)) {
    // Without numberOfKeys (publish: one call carries a variable number of
    // messages) the caller passes the key count first.
    redis.defineCommand(name, { ...(def.numberOfKeys !== undefined && { numberOfKeys: def.numberOfKeys }), lua: lua(def.file) });
  }
  const fn = (name: keyof typeof DEFINITIONS) =>
    (redis as unknown as Record<string, ScriptFn>)[name]!.bind(redis) as ScriptFn;
  const publish = fn('parleyPublish');
  const seed = fn('parleySeed');
  const bump = fn('parleyBump');
  const ack = fn('parleyAck');
  const presenceConnect = fn('parleyPresenceConnect');
  const presenceDisconnect = fn('parleyPresenceDisconnect');
  const tusUnlock = fn('parleyTusUnlock');
  const tusRefresh = fn('parleyTusRefresh');
  return {
    publish: (keys, args) => publish(keys.length, ...keys, ...args) as Promise<PublishOutcome[]>,
    publishAndWait: async (keys, args, replicas, timeoutMs) => {
      // A plain EVALSHA, not the defined command: ioredis re-sends a defined
      // command that met NOSCRIPT outside the pipeline, after the WAIT. Here a
      // NOSCRIPT (a node that never ran it) fails before writing anything, and
      // the second round loads the script in the same pipeline first.
      for (const load of [false, true]) {
        const pipe = redis.pipeline();
        if (load) pipe.script('LOAD', publishLua);
        pipe.evalsha(publishSha, keys.length, ...keys, ...args).wait(replicas, timeoutMs);
        const replies = (await pipe.exec()) ?? [];
        const at = load ? 1 : 0;
        const [err, outcomes] = replies[at]!;
        if (!load && err?.message.startsWith('NOSCRIPT')) continue;
        for (const [e] of replies) if (e) throw e;
        return [outcomes as PublishOutcome[], Number(replies[at + 1]![1])];
      }
      throw new Error('unreachable');
    },
    seed: (keys, epoch, base, lost, peek) => seed(...keys, epoch, base, lost ? 1 : 0, peek ?? 'seed') as Promise<[0 | 1 | 2, number]>,
    bump: (epochKey, seen, next) => bump(epochKey, seen, next) as Promise<number>,
    ack: (stream, group, ids) => ack(stream, group, ...ids) as Promise<number>,
    presenceConnect: (keys, gatewayId, userId, now) => presenceConnect(...keys, gatewayId, userId, now) as Promise<[0] | [1, string | null]>,
    presenceDisconnect: (keys, gatewayId, userId, now, count) =>
      presenceDisconnect(...keys, gatewayId, userId, now, count) as Promise<number>,
    tusUnlock: (lockKey, token, channel) => tusUnlock(lockKey, token, channel) as Promise<number>,
    tusRefresh: (lockKey, token, leaseMs) => tusRefresh(lockKey, token, leaseMs) as Promise<number>,
  };
}
