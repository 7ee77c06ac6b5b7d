/**
 * tus's KvStore on ioredis, for the S3 store's upload metadata cache. The one
 * in @tus/utils is written for node-redis; this one also gives every entry a
 * TTL, so metadata of uploads abandoned and expired in S3 does not stay in
 * Redis forever (a missing entry is re-read from S3, so expiry is harmless).
 */
import type { RedisClient } from '../../shared/redis/connect.js';
import type { KvStore } from '@tus/utils';
import type { RedisKeys } from '../../shared/redis/keys.js';

export class RedisKvStore<T> implements KvStore<T> {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly ttlMs: number,
  ) {}

  async get(id: string): Promise<T | undefined> {
    const raw = await this.redis.get(this.keys.tusUploadInfo(id));
    return raw === null ? undefined : (JSON.parse(raw) as T);
  }

  async set(id: string, value: T): Promise<void> {
    await this.redis.set(this.keys.tusUploadInfo(id), JSON.stringify(value), 'PX', this.ttlMs);
  }

  async delete(id: string): Promise<void> {
    await this.redis.del(this.keys.tusUploadInfo(id));
  }
}
