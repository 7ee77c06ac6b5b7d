/**
 * The server half of both baselines: two processes of one baseline server
 * on two ports, sharing a Redis key prefix that is fresh for every run, so
 * concurrent runs and tests never hear each other's traffic.
 */
import { randomBytes } from 'node:crypto';
import { freePort, startScript, type ServiceProcess } from '../../testkit/processes.js';
import type { PreparedWorkload, ServerProcessInfo, TargetKind, TargetServer } from '../bench/target.js';

export interface BaselineOptions {
  /** Default: REDIS_URL, else the local Redis. */
  redisUrl?: string;
  /** Extra environment for both processes, e.g. the GATEWAY_* socket limits a run also gives parley. */
  env?: Record<string, string>;
  /** Copy the servers' output to ours. */
  echo?: boolean;
}

const PROCESSES = 2;

export async function startBaseline(kind: Exclude<TargetKind, 'parley'>, script: string, options: BaselineOptions = {}): Promise<BaselineServer> {
  const keyPrefix = `bench-${randomBytes(5).toString('hex')}:`;
  const ports = await Promise.all(Array.from({ length: PROCESSES }, () => freePort()));
  const started = await Promise.allSettled(
    ports.map((port, i) =>
      startScript(
        script,
        {
          ...options.env,
          REDIS_URL: options.redisUrl ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
          REDIS_KEY_PREFIX: keyPrefix,
          PORT: String(port),
        },
        { name: `${kind}-${i + 1}`, readyPort: port, echo: options.echo ?? false },
      ),
    ),
  );
  const procs = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.all(procs.map((p) => p.kill('SIGKILL')));
    throw failed.reason;
  }
  return new BaselineServer(kind, keyPrefix, procs, ports.map((port) => `ws://127.0.0.1:${port}`));
}

export class BaselineServer implements TargetServer {
  constructor(
    readonly kind: Exclude<TargetKind, 'parley'>,
    /** The run's Redis channel prefix (relay) or adapter key (Socket.IO). */
    readonly keyPrefix: string,
    private readonly procs: ServiceProcess[],
    readonly endpoints: string[],
  ) {}

  /** Baselines keep no users or memberships: a socket names its rooms when it connects. */
  async prepare(users: number, rooms: number): Promise<PreparedWorkload> {
    return {
      users: Array.from({ length: users }, (_, i) => ({ user: `u${i}` })),
      rooms: Array.from({ length: rooms }, (_, i) => `r${i}`),
    };
  }

  processes(): ServerProcessInfo[] {
    return this.procs.map((p) => ({ name: p.name, pid: p.child.pid ?? -1, holdsSockets: true }));
  }

  /** SIGTERM to both; rejects with the process output if either did not exit with code 0. */
  async stop(): Promise<void> {
    const exits = await Promise.all(this.procs.map((p) => p.kill('SIGTERM')));
    const bad = exits.flatMap((exit, i) => (exit.code === 0 ? [] : [`${this.procs[i]!.name} exited with ${exit.code ?? exit.signal}:\n${this.procs[i]!.output()}`]));
    if (bad.length > 0) throw new Error(bad.join('\n'));
  }
}
