/**
 * Every Redis key and channel name parley uses, in one place.
 *
 * Hash tags: a room's sequence counter, its log stream, its idempotency keys
 * and the persistence stream partition it writes to all share the tag
 * `{p<N>}`, where N = partitionOf(room). The publish script touches all of
 * them atomically, which Redis Cluster allows only within one hash slot.
 * PARTITIONS is fixed here once and for all: changing it would move rooms to
 * other tags and orphan their sequence counters.
 */
export const PARTITIONS = 8;

/** FNV-1a over the room id: stable across processes, languages and versions. */
export function partitionOf(roomId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < roomId.length; i++) {
    h ^= roomId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % PARTITIONS;
}

/**
 * The hash tag of a partition's keys and channels. In a Redis Cluster a
 * partition lives in the slot of its tag (CLUSTER KEYSLOT "{p0}" …), so the
 * 8 partitions occupy 8 slots and spread over at most 8 primaries; which
 * primary serves which is the operator's slot assignment (see
 * docs/architecture.md, "Redis Cluster").
 */
export const partitionTag = (partition: number) => `{p${partition}}`;

/** The one hash tag of every presence key (one Redis Cluster slot; see presenceGateways below). */
export const PRESENCE_TAG = '{presence}';

export type RedisKeys = ReturnType<typeof redisKeys>;

export function redisKeys(prefix: string) {
  const tag = (room: string) => `{p${partitionOf(room)}}`;
  // The key formats a publish touches, from a tag computed once (publishKeys, below).
  const counterKey = (t: string, room: string) => `${prefix}${t}:room:${room}:counter`;
  const logKey = (t: string, room: string) => `${prefix}${t}:room:${room}:log`;
  const dedupKey = (t: string, room: string, userId: string, cmid: string) => `${prefix}${t}:room:${room}:cmid:${userId}:${cmid}`;
  const channel = (t: string, room: string) => `${prefix}${t}:room:${room}`;
  return {
    prefix,
    /**
     * HASH {n: the room's last assigned seq, e: the epoch it was assigned in}.
     * Valid only while `e` equals the partition's epoch (`partitionEpoch`); a
     * missing or stale counter is seeded again by seed.lua, past anything that
     * may have been acked before (see SeqSeeder). No TTL.
     */
    roomCounter: (room: string) => counterKey(tag(room), room),
    /**
     * STRING: the plain counter of releases before epochs. Read once, as a
     * lower bound, when the room's counter is seeded, and deleted then.
     */
    legacyRoomSeq: (room: string) => `${prefix}${tag(room)}:room:${room}:seq`,
    /**
     * STRING: the partition's epoch, a random id written once (SET NX) by
     * whoever finds it missing, and replaced only by a compare-and-set after a
     * seq regression was seen (bump.lua). Its disappearance or change means
     * Redis lost data of the partition (see docs/architecture.md).
     */
    partitionEpoch: (partition: number) => `${prefix}{p${partition}}:epoch`,
    epochOfRoom: (room: string) => `${prefix}${tag(room)}:epoch`,
    /** STREAM of the room's recent messages, entry id `<seq>-0`, trimmed with MAXLEN ~. */
    roomLog: (room: string) => logKey(tag(room), room),
    /** STRING `seq:id:createdAtMs` per (room, user, cmid), with TTL: idempotent publish. */
    publishDedup: (room: string, userId: string, cmid: string) => dedupKey(tag(room), room, userId, cmid),
    /**
     * The partition, the three keys one publish touches (roomCounter,
     * roomLog, publishDedup) and the room's channel, hashing the room once:
     * this runs per message.
     */
    publishKeys: (room: string, userId: string, cmid: string) => {
      const partition = partitionOf(room);
      const t = `{p${partition}}`;
      return {
        partition,
        keys: [counterKey(t, room), logKey(t, room), dedupKey(t, room, userId, cmid)] as [string, string, string],
        channel: channel(t, room),
      };
    },
    /** STRING, PX = half the typing display time: at most one typing announcement per user and room per period. */
    typing: (room: string, userId: string) => `${prefix}${tag(room)}:room:${room}:typing:${userId}`,
    /** STREAM of messages waiting to be written to Postgres; the worker deletes entries after commit. */
    persistStream: (partition: number) => `${prefix}{p${partition}}:persist`,
    persistStreamOfRoom: (room: string) => `${prefix}${tag(room)}:persist`,
    /** STREAM of persistence entries the worker could not write (undecodable, seq conflict); kept for operators. */
    persistDeadLetter: (partition: number) => `${prefix}{p${partition}}:persist:dead`,
    /**
     * Sharded pub/sub channel (SPUBLISH/SSUBSCRIBE) carrying a room's
     * messages and typing signals to gateways. It carries the partition's
     * tag, so publish.lua can SPUBLISH it beside the keys it writes, and in
     * a Redis Cluster a message travels only within the partition's shard.
     */
    roomChannel: (room: string) => channel(tag(room), room),
    /**
     * Channel prefix of the Socket.IO adapter (@socket.io/redis-adapter's
     * sharded adapter in static mode: one channel per namespace plus one per
     * gateway for replies), all in one slot. It carries only what Socket.IO
     * needs across gateways (fetchSockets, serverSideEmit, emits from other
     * processes), never room messages.
     */
    socketIoChannel: () => `${prefix}{socket.io}:sio`,
    /**
     * Sharded pub/sub channel for cluster control events (session
     * revocation, membership, …), every gateway subscribed. It carries
     * partition 0's tag so that partition 0's probe proves its link too
     * (shared/broker/redis-bus.ts); the events are few, one shard carries them.
     */
    controlChannel: () => `${prefix}{p0}:control`,
    /**
     * Sharded pub/sub channel on which a gateway sends probes to itself, one
     * per partition, through the same publish and subscriber connections as
     * that partition's room messages (delivery-proving health; in a Redis
     * Cluster, one probe per shard link).
     */
    probeChannel: (gatewayId: string, partition: number) => `${prefix}{p${partition}}:probe:${gatewayId}`,
    /**
     * LIST of the latest announcements (JSON, newest first), capped by the api
     * with LTRIM; gateways send them to each socket after `welcome`.
     */
    latestAnnouncements: () => `${prefix}announcements:latest`,
    /**
     * Presence keys share the one hash tag `{presence}`: its scripts touch a
     * user's entry, the online index and last-seen together. This puts all of
     * presence in one slot of a Redis Cluster.
     * ZSET gateway id → lease expiry (epoch ms).
     */
    presenceGateways: () => `${prefix}${PRESENCE_TAG}:gateways`,
    /** HASH gateway id → open sockets of the user on that gateway. */
    presenceConns: (userId: string) => `${prefix}${PRESENCE_TAG}:user:${userId}:conns`,
    /** SET of users with sockets on the gateway (what to clean when its lease expires). */
    presenceGatewayUsers: (gatewayId: string) => `${prefix}${PRESENCE_TAG}:gw:${gatewayId}:users`,
    /** ZSET user id → online since (epoch ms): exactly the users with a socket on a live gateway. */
    presenceOnline: () => `${prefix}${PRESENCE_TAG}:online`,
    /** HASH user id → last seen (epoch ms): when they went offline, or came online. */
    presenceLastSeen: () => `${prefix}${PRESENCE_TAG}:lastseen`,
    /** HASH user id → JSON {text, away}: the custom status. */
    presenceStatus: () => `${prefix}${PRESENCE_TAG}:status`,
    /** STRING with TTL = access token lifetime: the session's access tokens are refused. */
    revokedSession: (sessionId: string) => `${prefix}session:${sessionId}:revoked`,
    /**
     * STRING owner token with PX = lease, refreshed while held: the tus lock of
     * an upload across api replicas. Set with NX; released and refreshed only
     * by the token's owner (tus_unlock.lua, tus_refresh.lua). A crashed
     * holder's lock expires with its lease.
     */
    tusLock: (uploadId: string) => `${prefix}tus:lock:${uploadId}`,
    /**
     * Pub/sub channel of an upload's tus lock: waiters publish `release` (the
     * holder then asks its request to finish), tus_unlock.lua publishes
     * `unlocked` (waiters retry at once).
     */
    tusLockChannel: (uploadId: string) => `${prefix}tus:lock:${uploadId}:events`,
    /**
     * STRING JSON with PX = upload expiry: the S3 store's cached upload
     * metadata (its `.info` object), shared by api replicas. Losing it only
     * costs one S3 read; it is deleted when the upload is removed.
     */
    tusUploadInfo: (uploadId: string) => `${prefix}tus:info:${uploadId}`,
    /**
     * The namespace of one HTTP rate limit (`auth-ip`, `auth-username`,
     * `writes`): @fastify/rate-limit's Redis store appends the client IP,
     * username or user id, and keeps there a STRING counter with PX = the
     * window (INCR, PEXPIRE on the first request of a window).
     */
    rateLimit: (limit: string) => `${prefix}ratelimit:${limit}:`,
  } as const;
}

/** Consumer group of the persistence workers on every partition stream. */
export const PERSIST_GROUP = 'persist';
