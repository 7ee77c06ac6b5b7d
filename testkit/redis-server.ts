/**
 * A redis-server of the test's own, on a free loopback port and a fresh
 * directory, for tests that stop, restart or wipe Redis. They act only on
 * the process they started, by PID: the machine's shared Redis (6379) is
 * never touched.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './processes.js';

export interface RedisServerOptions {
  /** Extra `redis-server` arguments, e.g. ['--appendonly', 'yes']. */
  args?: string[];
  /** Make it a replica of this server. */
  replicaOf?: OwnRedis;
}

export interface OwnRedis {
  port: number;
  url: string;
  dir: string;
  /** The running process's PID (changes on restart). */
  readonly pid: number;
  /** A connection for the test's own checks. */
  client(): Redis;
  /** Stops it: `SHUTDOWN SAVE` keeps the data (an RDB), `NOSAVE` loses what is not on disk, `kill` is SIGKILL. */
  stop(how: 'save' | 'nosave' | 'kill'): Promise<void>;
  /** Freezes the process (SIGSTOP): connections stay open and nothing is answered, as with a stalled server. */
  pause(): void;
  /** Lets a paused process go on (SIGCONT). */
  resume(): void;
  /**
   * Starts it again on the same port and directory (`wipe` deletes the
   * directory's data first; `replicaOf` makes it a replica of that server
   * from the start, as a node that failed over comes back).
   */
  start(options?: { wipe?: boolean; replicaOf?: OwnRedis }): Promise<void>;
  /** Stops it for good and deletes its directory. */
  destroy(): Promise<void>;
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<OwnRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'parley-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  const clients: Redis[] = [];

  const launch = async (replicaOf = options.replicaOf) => {
    const args = [
      '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no',
      '--dbfilename', 'dump.rdb', '--daemonize', 'no', '--logfile', join(dir, 'redis.log'),
      // A replica's full sync starts at once (Redis waits 5 s by default for more replicas to share it).
      '--repl-diskless-sync-delay', '0',
      ...(replicaOf ? ['--replicaof', '127.0.0.1', String(replicaOf.port)] : []),
      ...(options.args ?? []),
    ];
    const proc = spawn('redis-server', args, { stdio: 'ignore' });
    child = proc;
    exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      for (let i = 0; i < 100; i++) {
        try {
          if (probe.status !== 'ready') await probe.connect();
          if ((await probe.ping()) === 'PONG') return;
        } catch {
          probe.disconnect();
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      throw new Error(`redis-server on port ${port} did not start`);
    } finally {
      probe.disconnect();
    }
  };

  const server: OwnRedis = {
    port,
    url,
    dir,
    get pid() {
      return child?.pid ?? -1;
    },
    client() {
      const c = new Redis(url, { maxRetriesPerRequest: 1 });
      c.on('error', () => undefined);
      clients.push(c);
      return c;
    },
    async stop(how) {
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      if (how === 'kill') {
        child.kill('SIGKILL');
      } else {
        const admin = new Redis(url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
        admin.on('error', () => undefined);
        // SHUTDOWN closes the connection instead of answering.
        await admin.call('SHUTDOWN', how === 'save' ? 'SAVE' : 'NOSAVE').catch(() => undefined);
        admin.disconnect();
      }
      await exited;
      child = null;
    },
    pause() {
      child?.kill('SIGSTOP');
    },
    resume() {
      child?.kill('SIGCONT');
    },
    async start(startOptions = {}) {
      if (startOptions.wipe) {
        rmSync(join(dir, 'dump.rdb'), { force: true });
        rmSync(join(dir, 'appendonlydir'), { recursive: true, force: true });
      }
      await launch(startOptions.replicaOf ?? options.replicaOf);
    },
    async destroy() {
      for (const c of clients) c.disconnect();
      if (child && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGCONT');
        child.kill('SIGKILL');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await launch();
  return server;
}
