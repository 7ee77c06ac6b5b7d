/**
 * parley as a benchmark target: the e2e cluster (api, two gateways, worker,
 * fresh database and Redis key prefix) with the run's environment (limits
 * that would throttle a benchmark raised, see ../settings.ts), and users, sessions, rooms and memberships written in
 * bulk with SQL (registering thousands of users through argon2id would take
 * longer than the benchmark). Access tokens are minted by the api's own
 * issuer with the cluster's signing key and the api's own token settings, so
 * they are exactly what login hands out and the gateways' checks pass.
 *
 * The `parley-cluster<N>` targets are the same on a Redis Cluster of N
 * primaries of the run's own (./parley-redis.ts), whose nodes every
 * publishing window reads one by one (../redis-nodes.ts).
 *
 * The `parley-socketio` target is the same cluster with the gateways'
 * Socket.IO endpoints handed out instead of `/v1/ws`
 * (./parley-socketio-client.ts): only the transport differs.
 */
import { UPGRADE_OPTIONS } from '../../../shared/protocol/frames.js';
import { randomBytes } from 'node:crypto';
import { startCluster, type Cluster } from '../../../testkit/cluster.js';
import { accessTokenIssuer } from '../../../api/index.js';
import { GLOBAL_ROOM_ID } from '../../../shared/http/schemas.js';
import { PARTITIONS, redisKeys } from '../../../shared/redis/keys.js';
import type { Sql } from '../../../shared/db/connect.js';
import type { PreparedWorkload, ServerProcessInfo, TargetKind, TargetServer } from '../target.js';
import { ownRedisCluster, primaryWithReplicas } from './parley-redis.js';
import { socketIoEndpoint } from './parley-socketio-client.js';
import type { TargetStartOptions } from '../registry.js';
import type { PersistenceProbe, PersistenceSample } from '../scenarios/persistence.js';
import { buckets, total } from '../prometheus.js';

export interface ParleyServer extends TargetServer {
  readonly kind: TargetKind;
  readonly persistence: PersistenceProbe;
  /** Starts the worker of a target started with `deferWorker` (it is then measured with the other processes). */
  startWorker(): Promise<void>;
  /** Entries in the persistence streams (accepted, not yet committed), read from Redis: works with no worker running. */
  persistBacklog(): Promise<number>;
}

/** How long the services get to exit on SIGTERM before they are killed. */
const GRACEFUL_STOP_MS = 15_000;

/** Rows per bulk statement: well under Postgres's 65,535 bind parameters, and arrays stay modest. */
const CHUNK = 5_000;

/**
 * Which parley: on the shared Redis (or a primary with replicas, with
 * REDIS_ACK_REPLICAS), or on a Redis Cluster of its own; and which of the
 * gateways' endpoints the sockets use (default `/v1/ws`).
 */
export interface ParleyVariant {
  kind: TargetKind;
  cluster?: { primaries: number; slots: 'even' | 'partitions' };
  transport?: 'ws' | 'socketio';
}

/** The endpoints of the variant's transport, one per gateway; `batchFrames` is in each (see the clients). */
function endpoints(gatewayUrls: string[], transport: ParleyVariant['transport'], batch: boolean): string[] {
  if (transport === 'socketio') return gatewayUrls.map((u) => socketIoEndpoint(u, { batch }));
  return batch ? gatewayUrls.map((u) => `${u}?${UPGRADE_OPTIONS.batch}=1`) : gatewayUrls;
}

export async function startParleyTarget(options: TargetStartOptions, variant: ParleyVariant = { kind: 'parley' }): Promise<ParleyServer> {
  const replicas = Number(options.env.REDIS_ACK_REPLICAS ?? 0);
  const redis = variant.cluster
    ? await ownRedisCluster(variant.cluster.primaries, variant.cluster.slots)
    : replicas > 0
      ? await primaryWithReplicas(replicas)
      : null;
  let cluster: Cluster;
  try {
    cluster = await startCluster({
      gateways: 2,
      env: options.env,
      worker: !options.deferWorker,
      ...(redis ? { redisUrl: redis.url, ...(redis.topology ? { redisTopology: redis.topology } : {}) } : {}),
    });
  } catch (err) {
    await redis?.stop();
    throw err;
  }
  try {
    const issue = await accessTokenIssuer({ ...cluster.env, AUTH_KEYS_FILE: cluster.keysFile });
    let prepared = 0;

    const server: ParleyServer = {
      kind: variant.kind,
      endpoints: endpoints(cluster.gatewayUrls, variant.transport, options.batchFrames === true),
      usesPostgres: true,
      ownRedis: redis !== null,
      ...(redis?.nodes ? { redisNodes: redis.nodes } : {}),
      persistence: persistenceProbe(cluster),
      async startWorker() {
        await cluster.startWorker();
      },
      async persistBacklog() {
        const keys = redisKeys(cluster.redis.config.keyPrefix);
        const lengths = await Promise.all(Array.from({ length: PARTITIONS }, (_, n) => cluster.redis.redis.xlen(keys.persistStream(n))));
        return lengths.reduce((a, b) => a + b, 0);
      },
      async prepare(users, rooms, membership) {
        const tag = `${randomBytes(3).toString('hex')}${prepared++}`;
        const workload = await prepareSql(cluster.db.sql, tag, users, rooms, membership);
        const tokens: string[] = [];
        for (const u of workload.users) tokens.push(await issue({ userId: u.id, username: u.username, sessionId: u.sessionId }));
        return {
          users: workload.users.map((u, i) => ({ user: u.id, token: tokens[i]! })),
          rooms: workload.rooms,
        } satisfies PreparedWorkload;
      },
      processes() {
        const list: ServerProcessInfo[] = [{ name: 'api', pid: cluster.api.child.pid!, holdsSockets: false }];
        for (const gw of cluster.gateways) list.push({ name: gw.name, pid: gw.child.pid!, holdsSockets: true });
        if (cluster.hasWorker()) list.push({ name: 'worker', pid: cluster.worker.child.pid!, holdsSockets: false });
        if (redis) list.push(...redis.processes());
        return list;
      },
      async stop() {
        // SIGTERM first, so each service drains and exits by itself (a process
        // run with --cpu-prof writes its profile only then); cluster.stop()
        // then SIGKILLs whatever is left and drops the database and keys.
        const services = [...cluster.gateways, cluster.api, ...(cluster.hasWorker() ? [cluster.worker] : [])];
        const graceful = Promise.all(services.map((p) => p.kill('SIGTERM')));
        await Promise.race([graceful, new Promise((r) => setTimeout(r, GRACEFUL_STOP_MS))]);
        await cluster.stop();
        await redis?.stop();
      },
    };
    return server;
  } catch (err) {
    await cluster.stop();
    await redis?.stop();
    throw err;
  }
}

interface PreparedRows {
  users: { id: string; username: string; sessionId: string }[];
  rooms: string[];
}

/**
 * Users (each also a member of the global room, as registration makes them),
 * one session per user, public rooms whose first member is their owner, and
 * the memberships. Written with the membership triggers disabled for the
 * transaction (they update the room's counter once per row, which for the
 * global room means tens of thousands of updates of one row); the counters
 * are then set once, and every `last_read_seq` is 0 as the read-start
 * trigger would set it for rooms without messages.
 */
async function prepareSql(sql: Sql, tag: string, users: number, rooms: number, membership: number[][]): Promise<PreparedRows> {
  return sql.begin(async (tx) => {
    await tx`set local session_replication_role = replica`;
    const names = Array.from({ length: users }, (_, i) => `b${tag}_${i}`);
    const idOf = new Map<string, string>();
    for (let at = 0; at < users; at += CHUNK) {
      const rows = await tx<{ id: string; username: string }[]>`
        insert into users (username, password_hash)
        select u, '!bench: no password' from unnest(${names.slice(at, at + CHUNK)}::text[]) as u
        returning id, username
      `;
      for (const r of rows) idOf.set(r.username, r.id);
    }
    const userIds = names.map((n) => idOf.get(n)!);

    const sessionOf = new Map<string, string>();
    for (let at = 0; at < users; at += CHUNK) {
      const rows = await tx<{ id: string; user_id: string }[]>`
        insert into sessions (user_id) select unnest(${userIds.slice(at, at + CHUNK)}::uuid[]) returning id, user_id
      `;
      for (const r of rows) sessionOf.set(r.user_id, r.id);
    }

    const membersOf: number[][] = Array.from({ length: rooms }, () => []);
    membership.forEach((list, user) => {
      for (const r of list) membersOf[r]!.push(user);
    });
    const roomNames = Array.from({ length: rooms }, (_, r) => `bench-${tag}-${r}`);
    const creators = membersOf.map((m) => (m.length > 0 ? userIds[m[0]!]! : null));
    const roomIdOf = new Map<string, string>();
    for (let at = 0; at < rooms; at += CHUNK) {
      const rows = await tx<{ id: string; name: string }[]>`
        insert into rooms (kind, name, created_by)
        select 'public', n, c from unnest(${roomNames.slice(at, at + CHUNK)}::text[], ${creators.slice(at, at + CHUNK)}::uuid[]) as t(n, c)
        returning id, name
      `;
      for (const r of rows) roomIdOf.set(r.name, r.id);
    }
    const roomIds = roomNames.map((n) => roomIdOf.get(n)!);

    const memberRoom: string[] = [];
    const memberUser: string[] = [];
    const memberRole: string[] = [];
    userIds.forEach((id) => {
      memberRoom.push(GLOBAL_ROOM_ID);
      memberUser.push(id);
      memberRole.push('member');
    });
    membersOf.forEach((members, r) => {
      members.forEach((u, k) => {
        memberRoom.push(roomIds[r]!);
        memberUser.push(userIds[u]!);
        memberRole.push(k === 0 ? 'owner' : 'member');
      });
    });
    for (let at = 0; at < memberRoom.length; at += CHUNK) {
      await tx`
        insert into room_members (room_id, user_id, role)
        select * from unnest(${memberRoom.slice(at, at + CHUNK)}::uuid[], ${memberUser.slice(at, at + CHUNK)}::uuid[], ${memberRole.slice(at, at + CHUNK)}::text[])
      `;
    }
    const touched = [GLOBAL_ROOM_ID, ...roomIds];
    await tx`
      update rooms r set member_count = (select count(*) from room_members m where m.room_id = r.id)
      where r.id = any(${touched}::uuid[])
    `;
    return {
      users: userIds.map((id, i) => ({ id, username: names[i]!, sessionId: sessionOf.get(id)! })),
      rooms: roomIds,
    };
  });
}

/** The worker's own metrics (ops port) and the messages table. */
function persistenceProbe(cluster: Cluster): PersistenceProbe {
  return {
    async sample(): Promise<PersistenceSample> {
      const res = await fetch(`http://127.0.0.1:${cluster.worker.opsPort}/metrics`);
      const text = await res.text();
      return {
        atMs: Date.now(),
        persisted: total(text, 'parley_worker_messages_persisted_total'),
        backlog: total(text, 'parley_worker_stream_lag_messages'),
        pending: total(text, 'parley_worker_pending_messages'),
        persistLatency: buckets(text, 'parley_worker_persist_latency_seconds'),
        batches: total(text, 'parley_worker_batch_size_count'),
        batchedEntries: total(text, 'parley_worker_batch_size_sum'),
      };
    },
    async storedMessages(): Promise<number> {
      const [row] = await cluster.db.sql<{ n: number }[]>`select count(*)::int as n from messages`;
      return row!.n;
    },
  };
}
