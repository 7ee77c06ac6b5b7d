/**
 * A Sentinel setup of the test's own on loopback: one primary, `replicas`
 * replicas (1 by default) and three sentinels (quorum 2), Debian's
 * redis-server on free ports in fresh directories. Sentinels notice a dead
 * primary after `downAfterMs` (1 s) and promote a replica within a few
 * seconds. Everything is stopped by PID, only the processes started here:
 * the machine's shared Redis is never touched.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './processes.js';
import { startRedisServer, type OwnRedis } from './redis-server.js';
import type { RedisTopology } from '../shared/config/redis-topology.js';

export interface OwnSentinelOptions {
  /** The primary's name the sentinels monitor (REDIS_SENTINEL_NAME). */
  name?: string;
  replicas?: number;
  /** Sentinel `down-after-milliseconds`: how long a silent primary takes to be judged down. */
  downAfterMs?: number;
  /** Sentinel `failover-timeout`. */
  failoverTimeoutMs?: number;
}

export interface OwnSentinel {
  name: string;
  /** The data nodes, the first started as primary; which one is primary now: `primary()`. */
  nodes: OwnRedis[];
  sentinelPorts: number[];
  /** What a service is given (REDIS_SENTINELS and REDIS_SENTINEL_NAME through testkit/redis.ts's topologyEnv). */
  topology: RedisTopology;
  /** The node the sentinels name as primary now. */
  primary(): Promise<OwnRedis>;
  /** Resolves the new primary once every sentinel names another node than `old` (and that node says it is a primary). */
  failedOver(old: OwnRedis, timeoutMs?: number): Promise<OwnRedis>;
  /** Resolves once `node` is a replica of the current primary with its link up. */
  replicating(node: OwnRedis, timeoutMs?: number): Promise<void>;
  /** Stops every process of the setup (by PID) and deletes its directories. */
  destroy(): Promise<void>;
}

interface SentinelProcess {
  port: number;
  child: ChildProcess;
  exited: Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startRedisSentinel(options: OwnSentinelOptions = {}): Promise<OwnSentinel> {
  const name = options.name ?? 'parley';
  const dir = mkdtempSync(join(tmpdir(), 'parley-sentinel-'));
  const nodes: OwnRedis[] = [];
  const sentinels: SentinelProcess[] = [];
  const admins = new Map<number, Redis>();
  /** The setup's own connection to a port (one per port, reconnecting while the process is down). */
  const admin = (port: number) => {
    let c = admins.get(port);
    if (!c) {
      c = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1, retryStrategy: () => 200 });
      c.on('error', () => undefined);
      admins.set(port, c);
    }
    return c;
  };
  const destroy = async () => {
    // E2E_DUMP_LOGS=1 (see testkit/cluster.ts) prints what the sentinels and nodes logged.
    if (process.env.E2E_DUMP_LOGS) {
      const logs = [...sentinels.map((s, i) => [`sentinel-${i} (port ${s.port})`, join(dir, `sentinel-${i}`, 'sentinel.log')]), ...nodes.map((n) => [`redis (port ${n.port})`, join(n.dir, 'redis.log')])];
      for (const [what, file] of logs) process.stderr.write(`\n===== ${what}\n${existsSync(file!) ? readFileSync(file!, 'utf8') : '(no log)'}`);
    }
    for (const c of admins.values()) c.disconnect();
    for (const s of sentinels) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    await Promise.all(sentinels.map((s) => s.exited));
    await Promise.all(nodes.map((n) => n.destroy()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const primary = await startRedisServer();
    nodes.push(primary);
    for (let i = 0; i < (options.replicas ?? 1); i++) nodes.push(await startRedisServer({ replicaOf: primary }));
    for (let i = 0; i < 3; i++) {
      sentinels.push(await startSentinel(join(dir, `sentinel-${i}`), name, primary.port, options));
    }
    const ask = sentinels.map((s) => admin(s.port));
    const byPort = (port: number) => nodes.find((n) => n.port === port);
    const primaryPortSeenBy = async (sentinel: Redis): Promise<number | null> => {
      const reply = (await sentinel.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name).catch(() => null)) as [string, string] | null;
      return reply ? Number(reply[1]) : null;
    };
    const roleOf = async (node: OwnRedis): Promise<string> => {
      const info = await admin(node.port).info('replication').catch(() => '');
      return /^role:(\w+)/m.exec(info)?.[1] ?? 'unknown';
    };
    const setup: OwnSentinel = {
      name,
      nodes,
      sentinelPorts: sentinels.map((s) => s.port),
      topology: { kind: 'sentinel', name, sentinels: sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })), tls: false },
      async primary() {
        for (const sentinel of ask) {
          const port = await primaryPortSeenBy(sentinel);
          const node = port === null ? undefined : byPort(port);
          if (node) return node;
        }
        throw new Error('no sentinel names a primary');
      },
      async failedOver(old, timeoutMs = 30_000) {
        const deadline = Date.now() + timeoutMs;
        while (Date.now() < deadline) {
          const ports = await Promise.all(ask.map(primaryPortSeenBy));
          const port = ports[0];
          const node = port == null ? undefined : byPort(port);
          if (node && node !== old && ports.every((p) => p === port) && (await roleOf(node)) === 'master') return node;
          await sleep(100);
        }
        throw new Error(`the sentinels did not fail over from port ${old.port} within ${timeoutMs} ms`);
      },
      async replicating(node, timeoutMs = 30_000) {
        const deadline = Date.now() + timeoutMs;
        while (Date.now() < deadline) {
          const current = await setup.primary().catch(() => null);
          const info = await admin(node.port).info('replication').catch(() => '');
          if (current && current !== node && info.includes(`master_port:${current.port}`) && info.includes('master_link_status:up')) return;
          await sleep(100);
        }
        throw new Error(`port ${node.port} is not replicating the primary after ${timeoutMs} ms`);
      },
      destroy,
    };
    await watchingEverything(ask, name, nodes.length - 1);
    for (const replica of nodes.slice(1)) await setup.replicating(replica);
    return setup;
  } catch (err) {
    await destroy();
    throw err;
  }
}

async function startSentinel(dir: string, name: string, primaryPort: number, options: OwnSentinelOptions): Promise<SentinelProcess> {
  const port = await freePort();
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, 'sentinel.conf');
  // Sentinel rewrites its file as it learns the other sentinels and replicas.
  writeFileSync(
    conf,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      'daemonize no',
      `dir ${dir}`,
      `logfile ${join(dir, 'sentinel.log')}`,
      `sentinel monitor ${name} 127.0.0.1 ${primaryPort} 2`,
      `sentinel down-after-milliseconds ${name} ${options.downAfterMs ?? 1000}`,
      `sentinel failover-timeout ${name} ${options.failoverTimeoutMs ?? 5000}`,
      `sentinel parallel-syncs ${name} 1`,
      '',
    ].join('\n'),
  );
  const child = spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const probe = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined);
  try {
    for (let i = 0; i < 100; i++) {
      try {
        if (probe.status !== 'ready') await probe.connect();
        if ((await probe.ping()) === 'PONG') return { port, child, exited };
      } catch {
        probe.disconnect();
        await sleep(50);
      }
    }
    child.kill('SIGKILL');
    throw new Error(`redis-server --sentinel on port ${port} did not start`);
  } finally {
    probe.disconnect();
  }
}

/**
 * Waits until every sentinel knows the other two and every replica: a
 * sentinel that has not heard of the others yet (they find each other
 * through the primary, every 2 s) could not gather a majority for a failover.
 */
async function watchingEverything(sentinels: Redis[], name: string, replicas: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const ready = await Promise.all(
      sentinels.map(async (s) => {
        const others = (await s.call('SENTINEL', 'SENTINELS', name).catch(() => [])) as unknown[];
        const known = (await s.call('SENTINEL', 'REPLICAS', name).catch(() => [])) as unknown[];
        return others.length >= sentinels.length - 1 && known.length >= replicas;
      }),
    );
    if (ready.every(Boolean)) return;
    await sleep(200);
  }
  throw new Error('the sentinels did not discover each other and the replicas within 30 s');
}
