/** Presence over Redis: see the contract in shared/ports.ts and the scripts presence_*.lua. */
import type { RedisClient } from '../redis/connect.js';
import type { RedisKeys } from '../redis/keys.js';
import type { Scripts } from '../redis/scripts.js';
import type { Presence, PresenceState, PresenceStatus } from '../ports.js';

export class RedisPresence implements Presence {
  constructor(
    private readonly redis: RedisClient,
    private readonly scripts: Scripts,
    private readonly keys: RedisKeys,
  ) {}

  private userKeys(gatewayId: string, userId: string): [string, string, string, string] {
    const k = this.keys;
    return [k.presenceConns(userId), k.presenceGatewayUsers(gatewayId), k.presenceOnline(), k.presenceLastSeen()];
  }

  async connect(gatewayId: string, userId: string): Promise<PresenceState | null> {
    const now = Date.now();
    const k = this.keys;
    const keys = [k.presenceConns(userId), k.presenceGatewayUsers(gatewayId), k.presenceOnline(), k.presenceLastSeen(), k.presenceStatus()] as const;
    const [cameOnline, status] = await this.scripts.presenceConnect([...keys], gatewayId, userId, now);
    return cameOnline === 1 ? { userId, online: true, lastSeen: now, status: parseStatus(status ?? null) } : null;
  }

  async disconnect(gatewayId: string, userId: string): Promise<boolean> {
    return (await this.scripts.presenceDisconnect(this.userKeys(gatewayId, userId), gatewayId, userId, Date.now(), 1)) === 1;
  }

  async heartbeat(gatewayId: string, leaseMs: number): Promise<boolean> {
    // ZADD answers 1 when the member is new: first heartbeat, or the lease was reaped meanwhile.
    return (await this.redis.zadd(this.keys.presenceGateways(), Date.now() + leaseMs, gatewayId)) === 1;
  }

  async leave(gatewayId: string): Promise<string[]> {
    await this.redis.zrem(this.keys.presenceGateways(), gatewayId);
    return this.clean(gatewayId);
  }

  async reapExpired(): Promise<string[]> {
    const expired = await this.redis.zrangebyscore(this.keys.presenceGateways(), '-inf', Date.now());
    const offline: string[] = [];
    for (const gatewayId of expired) {
      // A gateway that renewed its lease since the range read is alive after all.
      const score = await this.redis.zscore(this.keys.presenceGateways(), gatewayId);
      if (score === null || Number(score) > Date.now()) continue;
      offline.push(...(await this.clean(gatewayId)));
      await this.redis.zrem(this.keys.presenceGateways(), gatewayId);
    }
    return offline;
  }

  /** Removes every socket the gateway had; idempotent, so concurrent cleaners report each user once. */
  private async clean(gatewayId: string): Promise<string[]> {
    const users = await this.redis.smembers(this.keys.presenceGatewayUsers(gatewayId));
    const now = Date.now();
    const results = await Promise.all(
      users.map((u) => this.scripts.presenceDisconnect(this.userKeys(gatewayId, u), gatewayId, u, now, 'all')),
    );
    await this.redis.del(this.keys.presenceGatewayUsers(gatewayId));
    return users.filter((_, i) => results[i] === 1);
  }

  async states(userIds: string[]): Promise<PresenceState[]> {
    if (userIds.length === 0) return [];
    const k = this.keys;
    const [online, lastSeen, status] = (await this.redis
      .multi()
      .zmscore(k.presenceOnline(), ...userIds)
      .hmget(k.presenceLastSeen(), ...userIds)
      .hmget(k.presenceStatus(), ...userIds)
      .exec())!.map(([err, value]) => {
      if (err) throw err;
      return value as (string | null)[];
    }) as [(string | null)[], (string | null)[], (string | null)[]];
    return userIds.map((userId, i) => ({
      userId,
      online: online[i] !== null,
      lastSeen: lastSeen[i] === null ? null : Number(lastSeen[i]),
      status: parseStatus(status[i] ?? null),
    }));
  }

  async online(limit: number, after?: string): Promise<{ total: number; users: { userId: string; since: number }[]; next: string | null }> {
    // The cursor is a position in the list ordered by online-since. The list is
    // live: users who come or go between pages shift it, which is what a
    // "who's online" list shows anyway.
    const offset = after === undefined ? 0 : Math.max(0, Number.parseInt(after, 10) || 0);
    const key = this.keys.presenceOnline();
    const [total, rows] = await Promise.all([
      this.redis.zcard(key),
      this.redis.zrange(key, String(offset), String(offset + limit - 1), "WITHSCORES"),
    ]);
    const users: { userId: string; since: number }[] = [];
    for (let i = 0; i + 1 < rows.length; i += 2) users.push({ userId: rows[i]!, since: Number(rows[i + 1]) });
    return { total, users, next: offset + users.length < total ? String(offset + users.length) : null };
  }

  async setStatus(userId: string, status: PresenceStatus | null): Promise<void> {
    if (status === null) await this.redis.hdel(this.keys.presenceStatus(), userId);
    else await this.redis.hset(this.keys.presenceStatus(), userId, JSON.stringify(status));
  }
}

function parseStatus(raw: string | null): PresenceStatus | null {
  if (raw === null) return null;
  try {
    const v = JSON.parse(raw) as Partial<PresenceStatus>;
    return typeof v.text === 'string' && typeof v.away === 'boolean' ? { text: v.text, away: v.away } : null;
  } catch {
    return null;
  }
}
