/**
 * Per-node Redis counters over a publishing window, for targets on Redis
 * nodes of their own (a Redis Cluster's primaries): how the publish path
 * spreads over shards. Read with INFO (stats, commandstats, clients) and
 * CLUSTER INFO before and after the window, on a connection of its own per
 * node, so the reads cost a handful of commands per window. Commands a
 * script runs (publish.lua's SPUBLISH) count in commandstats like any other.
 */
import { Redis } from 'ioredis';
import type { RedisNodeInfo } from './target.js';

interface NodeCounters {
  /** Script calls (EVALSHA and EVAL): publish batches, presence, acks, seeding. */
  scripts: number;
  spublish: number;
  publish: number;
  netInputBytes: number;
  netOutputBytes: number;
  /** Cluster-bus messages this node sent and received (every type). */
  busSent: number;
  busReceived: number;
  /** Sharded channels with subscribers on the node (at the end of the window). */
  shardChannels: number;
  clients: number;
}

export interface RedisNodeWindow extends RedisNodeInfo {
  scriptsPerSecond: number;
  /** SPUBLISH per second: a room message or typing signal each, plus the gateways' probes. */
  spublishPerSecond: number;
  /** Share of all nodes' SPUBLISH in the window (0–1). */
  spublishShare: number;
  publishPerSecond: number;
  netInKBps: number;
  netOutKBps: number;
  busMessagesPerSecond: number;
  shardChannels: number;
  clients: number;
}

const field = (text: string, name: string): number => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(text)?.[1] ?? 0);
const calls = (text: string, command: string): number => Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(text)?.[1] ?? 0);

async function read(client: Redis): Promise<NodeCounters> {
  const [info, cluster] = await Promise.all([client.info('all'), client.call('CLUSTER', 'INFO').then(String, () => '')]);
  return {
    scripts: calls(info, 'evalsha') + calls(info, 'eval'),
    spublish: calls(info, 'spublish'),
    publish: calls(info, 'publish'),
    netInputBytes: field(info, 'total_net_input_bytes'),
    netOutputBytes: field(info, 'total_net_output_bytes'),
    busSent: field(cluster, 'cluster_stats_messages_sent'),
    busReceived: field(cluster, 'cluster_stats_messages_received'),
    shardChannels: field(info, 'pubsubshard_channels'),
    clients: field(info, 'connected_clients'),
  };
}

/** Counters of every node at the start of a window; `stop()` gives the per-node rates. */
export class RedisNodesWindow {
  private constructor(
    private readonly nodes: RedisNodeInfo[],
    private readonly clients: Redis[],
    private readonly before: NodeCounters[],
    private readonly startedAt: number,
  ) {}

  static async start(nodes: RedisNodeInfo[]): Promise<RedisNodesWindow> {
    const clients = nodes.map((n) => {
      const c = new Redis(n.url, { maxRetriesPerRequest: 1, lazyConnect: true });
      c.on('error', () => undefined);
      return c;
    });
    const before = await Promise.all(clients.map(read));
    return new RedisNodesWindow(nodes, clients, before, performance.now());
  }

  async stop(): Promise<RedisNodeWindow[]> {
    const seconds = (performance.now() - this.startedAt) / 1000;
    try {
      const after = await Promise.all(this.clients.map(read));
      const d = after.map((a, i) => {
        const b = this.before[i]!;
        return { ...a, scripts: a.scripts - b.scripts, spublish: a.spublish - b.spublish, publish: a.publish - b.publish, netInputBytes: a.netInputBytes - b.netInputBytes, netOutputBytes: a.netOutputBytes - b.netOutputBytes, bus: a.busSent - b.busSent + a.busReceived - b.busReceived };
      });
      const allSpublish = d.reduce((s, x) => s + x.spublish, 0);
      const rate = (n: number) => Math.round(n / seconds);
      return this.nodes.map((node, i) => {
        const x = d[i]!;
        return {
          ...node,
          scriptsPerSecond: rate(x.scripts),
          spublishPerSecond: rate(x.spublish),
          spublishShare: allSpublish === 0 ? 0 : Math.round((x.spublish / allSpublish) * 1000) / 1000,
          publishPerSecond: rate(x.publish),
          netInKBps: Math.round(x.netInputBytes / 1024 / seconds),
          netOutKBps: Math.round(x.netOutputBytes / 1024 / seconds),
          busMessagesPerSecond: rate(x.bus),
          shardChannels: x.shardChannels,
          clients: x.clients,
        };
      });
    } finally {
      for (const c of this.clients) c.disconnect();
    }
  }
}
