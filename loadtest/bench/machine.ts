/** The machine a run used, for the report: results mean little without it. */
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { ADMIN_URL } from '../../testkit/postgres.js';
import { TEST_REDIS_URL } from '../../testkit/redis.js';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  /** Soft limit of open files per process, as this process sees it. */
  openFilesLimit: string;
  loadAverageAtStart: number[];
  redis: string;
  postgres: string;
}

function openFilesLimit(): string {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    return line?.replace('Max open files', '').trim().split(/\s+/).slice(0, 2).join(' / ') ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The pid of the local redis-server (from INFO), or null when Redis is elsewhere or unreachable. */
export async function localRedisPid(): Promise<number | null> {
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const pid = Number(/process_id:(\d+)/.exec(await redis.info('server'))?.[1]);
    return Number.isInteger(pid) && existsSync(`/proc/${pid}`) ? pid : null;
  } catch {
    return null;
  } finally {
    redis.disconnect();
  }
}

export async function describeMachine(): Promise<MachineInfo> {
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  let redisVersion = 'unknown';
  try {
    await redis.connect();
    redisVersion = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? 'unknown';
  } catch {
    // reported as unknown
  } finally {
    redis.disconnect();
  }
  const sql = postgres(ADMIN_URL, { max: 1, onnotice: () => undefined });
  let pgVersion = 'unknown';
  try {
    const [row] = await sql<{ v: string }[]>`select current_setting('server_version') as v`;
    pgVersion = row?.v ?? 'unknown';
  } catch {
    // reported as unknown
  } finally {
    await sql.end({ timeout: 1 });
  }
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    openFilesLimit: openFilesLimit(),
    loadAverageAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
    redis: redisVersion,
    postgres: pgVersion,
  };
}
