/**
 * `node dist/scripts/worker-drain.js [options]`: measures the persistence
 * worker alone, on a fresh database and Redis key prefix (testkit/).
 *
 * - drain: fills the persistence streams with --messages envelopes through
 *   the real publish path (RedisPublisher, publish.lua), then starts a real
 *   worker process (dist/worker/main.js) and times it until every stream is
 *   empty: rows/s, rows per batch, worker CPU, Postgres CPU.
 * - steady: with the worker running, publishes --rate messages/s for
 *   --seconds and reports the same, plus the accepted→committed latency
 *   (the worker's histogram) and the highest backlog seen.
 *
 * `--workers N` starts N worker processes: N consumers of every partition.
 *
 * CPU is read from /proc/<pid>/stat: the worker processes, and the Postgres
 * backends connected to the test database (pg_stat_activity), which is the
 * cost the worker's statements cause. Background processes (WAL writer,
 * checkpointer, autovacuum) are shared with everything else on the machine
 * and left out. Worker settings are passed through: `--env KEY=VALUE`;
 * `--setup SQL` runs a statement on the fresh database before the run (to
 * try a schema change, e.g. an index option, before writing its migration).
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { startService, type ServiceProcess } from '../testkit/processes.js';
import { PARTITIONS, redisKeys } from '../shared/redis/keys.js';
import { createTestDatabase, type TestDatabase } from '../testkit/postgres.js';
import { createTestRedis, type TestRedis } from '../testkit/redis.js';
import { testMessaging } from '../testkit/messaging.js';
import { CpuMeter, batchStats, latency, pct, perK, workerMetrics } from './worker-drain-meters.js';

const { values } = parseArgs({
  options: {
    mode: { type: 'string', default: 'drain' },
    rooms: { type: 'string', default: '500' },
    users: { type: 'string', default: '500' },
    messages: { type: 'string', default: '200000' },
    rate: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '30' },
    body: { type: 'string', default: '60' },
    env: { type: 'string', multiple: true, default: [] },
    setup: { type: 'string', multiple: true, default: [] },
    workers: { type: 'string', default: '1' },
  },
});
const mode = values.mode!;
const rooms = Number(values.rooms);
const users = Number(values.users);
const messages = Number(values.messages);
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const bodyLength = Number(values.body);
const workers = Number(values.workers);
if (!['drain', 'steady', 'both'].includes(mode) || ![rooms, users, messages, rate, seconds, bodyLength, workers].every((n) => n > 0)) {
  process.stderr.write(
    'usage: node dist/scripts/worker-drain.js [--mode drain|steady|both] [--rooms 500] [--users 500] [--messages 200000]\n' +
      '       [--rate 1000] [--seconds 30] [--body 60] [--workers 1] [--env WORKER_X=value ...] [--setup SQL ...]\n',
  );
  process.exit(2);
}
const workerEnv = Object.fromEntries(
  values.env!.map((kv) => {
    const at = kv.indexOf('=');
    return [kv.slice(0, at), kv.slice(at + 1)];
  }),
);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const out = (line: string) => process.stdout.write(`${line}\n`);

async function backlog(r: TestRedis): Promise<number> {
  const keys = redisKeys(r.config.keyPrefix);
  const pipe = r.redis.pipeline();
  for (let n = 0; n < PARTITIONS; n++) pipe.xlen(keys.persistStream(n));
  const replies = (await pipe.exec()) ?? [];
  return replies.reduce((sum, [, len]) => sum + Number(len ?? 0), 0);
}

interface Fixture {
  db: TestDatabase;
  r: TestRedis;
  roomIds: string[];
  userIds: string[];
  publish: (count: number) => Promise<void>;
}

async function fixture(): Promise<Fixture> {
  const db = await createTestDatabase();
  const r = await createTestRedis();
  const roomIds = Array.from({ length: rooms }, () => randomUUID());
  const userIds = Array.from({ length: users }, () => randomUUID());
  await db.sql`insert into users (id, username, password_hash) select id, 'u' || n, 'x' from unnest(${userIds}::uuid[]) with ordinality as t(id, n)`;
  await db.sql`insert into rooms (id, kind, name) select id, 'public', 'r' || n from unnest(${roomIds}::uuid[]) with ordinality as t(id, n)`;
  for (const statement of values.setup!) await db.sql.unsafe(statement);
  await db.sql`analyze`;
  const messaging = testMessaging(r, db, { streams: { persistMaxBacklog: 0 } });
  const body = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor '.repeat(10).slice(0, bodyLength);
  let n = 0;
  const one = () => {
    const i = n++;
    const u = i % users;
    return messaging.publisher.publish({
      room: roomIds[(i * 7919) % rooms]!,
      author: { id: userIds[u]!, username: `u${u + 1}` },
      cmid: `c${i}`,
      kind: 'text',
      body: `${i} ${body}`,
    });
  };
  /** `count` messages, at most 200 in flight. */
  const publish = async (count: number) => {
    let left = count;
    await Promise.all(
      Array.from({ length: Math.min(200, count) }, async () => {
        while (left > 0) {
          left--;
          await one();
        }
      }),
    );
  };
  return { db, r, roomIds, userIds, publish };
}

/** --workers processes, each a consumer of every partition under its own name. */
function startWorkers(f: Fixture): Promise<ServiceProcess[]> {
  return Promise.all(Array.from({ length: workers }, (_, n) => startWorker(f, n)));
}

function startWorker(f: Fixture, n: number): Promise<ServiceProcess> {
  return startService('worker', {
    WORKER_CONSUMER_NAME: `drain-${n}`,
    DATABASE_URL: f.db.url,
    DATABASE_MIGRATE: 'false',
    REDIS_URL: f.r.config.url,
    REDIS_KEY_PREFIX: f.r.config.keyPrefix,
    LOG_LEVEL: 'warn',
    ...workerEnv,
  });
}


async function drain(f: Fixture): Promise<void> {
  const t0 = Date.now();
  await f.publish(messages);
  out(`filled ${messages} envelopes in ${((Date.now() - t0) / 1000).toFixed(1)} s; backlog ${await backlog(f.r)}`);
  const procs = await startWorkers(f);
  try {
    // The worker starts consuming before it reports ready: time from the
    // first backlog poll after ready, counting only what was left then.
    const meter = new CpuMeter(f.db, procs);
    await meter.start();
    const m0 = await workerMetrics(procs);
    const left = await backlog(f.r);
    const start = performance.now();
    let now = left;
    while (now > 0) {
      await sleep(50);
      now = await backlog(f.r);
    }
    const elapsed = (performance.now() - start) / 1000;
    const cpu = await meter.stop();
    const b = batchStats(m0, await workerMetrics(procs));
    const [{ count }] = await f.db.sql<{ count: number }[]>`select count(*)::int as count from messages`;
    out(
      `drain: ${left} rows in ${elapsed.toFixed(2)} s = ${Math.round(left / elapsed)} rows/s; ` +
        `${b.batches} batches, ${b.perBatch.toFixed(1)} rows/batch; worker CPU ${pct(cpu.worker, elapsed)}, ` +
        `Postgres backends CPU ${pct(cpu.postgres, elapsed)} (${cpu.backends} backends); ` +
        `CPU per 1000 rows: worker ${perK(cpu.worker, left)}, Postgres ${perK(cpu.postgres, left)}; ` +
        `messages table ${count}/${messages}`,
    );
  } finally {
    await Promise.all(procs.map((p) => p.kill('SIGTERM')));
  }
}

async function steady(f: Fixture): Promise<void> {
  // A room's first publish seeds its counter (a Postgres round trip) after
  // the message's accepted-at time: one message per room first, persisted
  // before the measured run, keeps that out of the persistence latency.
  await f.publish(rooms);
  const procs = await startWorkers(f);
  try {
    while ((await backlog(f.r)) > 0) await sleep(50);
    await sleep(1000);
    const meter = new CpuMeter(f.db, procs);
    await meter.start();
    const m0 = await workerMetrics(procs);
    const start = performance.now();
    const total = rate * seconds;
    let sent = 0;
    let maxBacklog = 0;
    const probe = setInterval(() => void backlog(f.r).then((n) => (maxBacklog = Math.max(maxBacklog, n))), 100);
    const inflight: Promise<void>[] = [];
    // Every 10 ms, what the rate owes by now: a steady trickle, not bursts.
    while (sent < total) {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
      if (due > sent) {
        inflight.push(f.publish(due - sent));
        sent = due;
      }
      await sleep(10);
    }
    await Promise.all(inflight);
    clearInterval(probe);
    const elapsed = (performance.now() - start) / 1000;
    while ((await backlog(f.r)) > 0) await sleep(20);
    const cpu = await meter.stop();
    const m1 = await workerMetrics(procs);
    const b = batchStats(m0, m1);
    out(
      `steady ${rate} msg/s for ${elapsed.toFixed(1)} s: ${b.persisted} rows, ${b.batches} batches, ${b.perBatch.toFixed(1)} rows/batch; ` +
        `worker CPU ${pct(cpu.worker, elapsed)}, Postgres backends CPU ${pct(cpu.postgres, elapsed)} (${cpu.backends} backends); ` +
        `max backlog seen ${maxBacklog}; persist latency ${latency(m0, m1)}`,
    );
  } finally {
    await Promise.all(procs.map((p) => p.kill('SIGTERM')));
  }
}


async function main(): Promise<void> {
  out(`rooms ${rooms}, users ${users}, body ~${bodyLength} chars, workers ${workers}, worker env ${JSON.stringify(workerEnv)}, setup ${JSON.stringify(values.setup)}`);
  for (const run of mode === 'both' ? [drain, steady] : mode === 'drain' ? [drain] : [steady]) {
    const f = await fixture();
    try {
      await run(f);
    } finally {
      await f.r.cleanup();
      await f.db.drop();
    }
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
