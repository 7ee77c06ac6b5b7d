/**
 * Moves a process's Sentinel connections to a new primary as soon as the
 * sentinels announce it (`+switch-master`), instead of when the old primary
 * drops them.
 *
 * Why: a killed primary drops its connections, and Sentinel drops the
 * clients of a primary it demotes, but a primary that is frozen, cut off
 * from the sentinels, or judged down while it was merely slow keeps its
 * connections and (until Sentinel converts it, 10 s or more later) keeps
 * taking writes that the new primary never gets: with REDIS_ACK_REPLICAS=0
 * they are acked and then lost. Measured in e2e/faults/sentinel-failover.
 *
 * One subscription per sentinel per process (not per connection), and only
 * connections that are up and on another address than the announced
 * primary are dropped, with ioredis's own reconnect: interrupting a
 * connection that is still asking the sentinels for the primary would end
 * it for good (the reason ioredis's own failoverDetector stays off).
 */
import { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import type { RedisTopology } from '../config/redis-topology.js';

type SentinelTopology = Extract<RedisTopology, { kind: 'sentinel' }>;

const CHANNEL = '+switch-master';

class SwitchWatch {
  private readonly clients = new Set<Redis>();
  private subscribers: Redis[] = [];

  constructor(
    private readonly topology: SentinelTopology,
    private readonly logger: Logger,
    private readonly onIdle: () => void,
  ) {}

  /** Follows the switches for `client` until it ends. */
  add(client: Redis): void {
    if (this.clients.size === 0) this.start();
    this.clients.add(client);
    client.once('end', () => {
      this.clients.delete(client);
      if (this.clients.size === 0) this.stop();
    });
  }

  private start(): void {
    const t = this.topology;
    this.subscribers = t.sentinels.map((s) => {
      const sub = new Redis({
        host: s.host,
        port: s.port,
        ...(t.sentinelUsername !== undefined ? { username: t.sentinelUsername } : {}),
        ...(t.sentinelPassword !== undefined ? { password: t.sentinelPassword } : {}),
        ...(t.tls ? { tls: {} } : {}),
        connectionName: 'parley-sentinel-watch',
        retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
        maxRetriesPerRequest: null,
      });
      // A sentinel that is down is the data connections' concern too; they log it.
      sub.on('error', (err: Error) => this.logger.debug({ err: err.message, sentinel: `${s.host}:${s.port}` }, 'sentinel watch connection error'));
      sub.on('message', (channel: string, payload: string) => {
        if (channel === CHANNEL) this.switched(payload);
      });
      sub.subscribe(CHANNEL).catch(() => undefined);
      return sub;
    });
  }

  private stop(): void {
    for (const sub of this.subscribers) sub.disconnect();
    this.subscribers = [];
    this.onIdle();
  }

  /** `<name> <old ip> <old port> <new ip> <new port>`. */
  private switched(payload: string): void {
    const [name, , , host, port] = payload.split(' ');
    if (name !== this.topology.name || !host || !port) return;
    let moved = 0;
    for (const client of this.clients) {
      const stream = client.stream;
      if (client.status !== 'ready' || (stream?.remoteAddress === host && String(stream.remotePort) === port)) continue;
      client.disconnect(true);
      moved++;
    }
    if (moved > 0) this.logger.warn({ primary: `${host}:${port}`, connections: moved }, 'Sentinel switched the primary: reconnecting');
  }
}

const watches = new Map<string, SwitchWatch>();

/** Reconnects `client` to the new primary whenever the topology's sentinels announce one, until the client ends. */
export function followSwitches(topology: SentinelTopology, client: Redis, logger: Logger): void {
  const key = JSON.stringify([topology.name, topology.sentinels]);
  let watch = watches.get(key);
  if (!watch) {
    watch = new SwitchWatch(topology, logger, () => watches.delete(key));
    watches.set(key, watch);
  }
  watch.add(client);
}
