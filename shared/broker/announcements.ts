/** The latest announcements, as the api keeps them in Redis (newest first, capped). */
import type { RedisClient } from '../redis/connect.js';
import { Compile } from 'typebox/compile';
import { Announcement } from '../protocol/frames.js';
import type { RedisKeys } from '../redis/keys.js';

const check = Compile(Announcement);

/** Oldest first, skipping anything that does not parse. */
export async function latestAnnouncements(redis: RedisClient, keys: RedisKeys): Promise<Announcement[]> {
  const raw = await redis.lrange(keys.latestAnnouncements(), 0, -1);
  const list: Announcement[] = [];
  for (const item of raw.reverse()) {
    try {
      const value: unknown = JSON.parse(item);
      if (check.Check(value)) list.push(value as Announcement);
    } catch {
      // An entry written by something else: not ours to show.
    }
  }
  return list;
}
