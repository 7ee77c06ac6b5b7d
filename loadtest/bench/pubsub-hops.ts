/**
 * How many Redis Cluster nodes one pub/sub message touches: classic PUBLISH
 * against sharded SPUBLISH, on a 3-primary Redis Cluster of its own
 * (testkit/redis-cluster.ts, slots split like the parley-cluster targets).
 *
 *   node dist/loadtest/bench/pubsub-hops.js [--messages 20000] [--primaries 3] [--payload 300]
 *
 * For each mode, one subscriber listens and `messages` messages are
 * published (pipelined, 100 at a time); once the subscriber has every one,
 * each node's counters are read again: commands (INFO commandstats), the
 * cluster bus's publish messages (CLUSTER INFO
 * `cluster_stats_messages_publish*` / `publishshard*`), network bytes
 * (INFO stats) and CPU (by PID, /proc). A node is *touched* when it ran the
 * command or received the message over the bus.
 *
 * - classic: published on node 1, subscriber on node 2. Redis Cluster
 *   broadcasts every PUBLISH over the bus to every other node, subscribers
 *   there or not.
 * - sharded: the channel carries a partition's tag ({p1}); SPUBLISH and
 *   SSUBSCRIBE both go to the node serving its slot. The message leaves that
 *   node only to its own replicas (none here) and to subscribers.
 *
 * Report on stdout; the machine's shared Redis is never touched.
 */
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import calculateSlot from 'cluster-key-slot';
import { startRedisCluster, type OwnCluster } from '../../testkit/redis-cluster.js';
import { partitionTag } from '../../shared/redis/keys.js';
import { cpuTicks } from './proc.js';
import { int, table } from './report-format.js';

interface Counters {
  commands: number;
  busPublishSent: number;
  busPublishReceived: number;
  busShardSent: number;
  busShardReceived: number;
  busAllSent: number;
  busAllReceived: number;
  netIn: number;
  netOut: number;
  cpuTicks: number;
}

const field = (text: string, name: string): number => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(text)?.[1] ?? 0);

async function read(admin: Redis, pid: number, command: 'publish' | 'spublish'): Promise<Counters> {
  const [info, cluster] = await Promise.all([admin.info('all'), admin.call('CLUSTER', 'INFO').then(String)]);
  return {
    commands: Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(info)?.[1] ?? 0),
    busPublishSent: field(cluster, 'cluster_stats_messages_publish_sent'),
    busPublishReceived: field(cluster, 'cluster_stats_messages_publish_received'),
    busShardSent: field(cluster, 'cluster_stats_messages_publishshard_sent'),
    busShardReceived: field(cluster, 'cluster_stats_messages_publishshard_received'),
    busAllSent: field(cluster, 'cluster_stats_messages_sent'),
    busAllReceived: field(cluster, 'cluster_stats_messages_received'),
    netIn: field(info, 'total_net_input_bytes'),
    netOut: field(info, 'total_net_output_bytes'),
    cpuTicks: cpuTicks(pid) ?? 0,
  };
}

const minus = (a: Counters, b: Counters): Counters =>
  Object.fromEntries(Object.keys(a).map((k) => [k, a[k as keyof Counters] - b[k as keyof Counters]])) as unknown as Counters;

interface ModeResult {
  mode: 'classic PUBLISH' | 'sharded SPUBLISH';
  messages: number;
  seconds: number;
  nodes: (Counters & { node: number; role: string; touched: boolean })[];
  touched: number;
}

async function waitFor(done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('the subscriber did not receive every message');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function measure(cluster: OwnCluster, mode: ModeResult['mode'], messages: number, payload: string): Promise<ModeResult> {
  const sharded = mode === 'sharded SPUBLISH';
  const command = sharded ? 'spublish' : 'publish';
  const admins = cluster.nodes.map((n) => new Redis(n.url, { maxRetriesPerRequest: 1 }));
  const channel = sharded ? `${partitionTag(1)}:hops` : 'hops';
  // Classic: the publisher on node 1 and the subscriber on node 2. Sharded: both on the slot's owner.
  const owner = cluster.nodes.indexOf(cluster.nodeOfSlot(calculateSlot(channel)));
  const pubAt = sharded ? owner : 0;
  const subAt = sharded ? owner : 1 % cluster.nodes.length;
  const subscriber = new Redis(cluster.nodes[subAt]!.url);
  const publisher = new Redis(cluster.nodes[pubAt]!.url);
  let received = 0;
  try {
    subscriber.on(sharded ? 'smessageBuffer' : 'messageBuffer', () => void received++);
    await (sharded ? subscriber.ssubscribe(channel) : subscriber.subscribe(channel));
    const before = await Promise.all(admins.map((a, i) => read(a, cluster.nodes[i]!.pid, command)));
    const started = performance.now();
    for (let sent = 0; sent < messages; sent += 100) {
      const batch = publisher.pipeline();
      for (let k = sent; k < Math.min(messages, sent + 100); k++) (sharded ? batch.spublish(channel, payload) : batch.publish(channel, payload));
      await batch.exec();
    }
    await waitFor(() => received >= messages, 30_000);
    const seconds = (performance.now() - started) / 1000;
    const after = await Promise.all(admins.map((a, i) => read(a, cluster.nodes[i]!.pid, command)));
    const nodes = after.map((a, i) => {
      const d = minus(a, before[i]!);
      const role = [i === pubAt ? 'publisher' : '', i === subAt ? 'subscriber' : '', sharded && i === owner ? 'slot owner' : ''].filter(Boolean);
      const touched = d.commands > 0 || d.busPublishReceived > 0 || d.busShardReceived > 0;
      return { node: i + 1, role: [...new Set(role)].join(', ') || '-', touched, ...d };
    });
    return { mode, messages, seconds, nodes, touched: nodes.filter((n) => n.touched).length };
  } finally {
    subscriber.disconnect();
    publisher.disconnect();
    admins.forEach((a) => a.disconnect());
  }
}

function format(results: ModeResult[], primaries: number, payloadBytes: number): string {
  const out = [`pub/sub on a Redis Cluster of ${primaries} primaries (no replicas), ${payloadBytes}-byte messages, one subscriber`];
  for (const r of results) {
    out.push('', `${r.mode}: ${int(r.messages)} messages in ${r.seconds.toFixed(2)} s; nodes touched per message: ${r.touched} of ${primaries}`);
    out.push(
      table(
        ['node', 'role', 'commands', 'bus publish sent / recv', 'bus publishshard sent / recv', 'bus all sent / recv', 'net in KB', 'net out KB', 'CPU ms', 'CPU µs/msg'],
        r.nodes.map((n) => [
          n.node,
          n.role,
          int(n.commands),
          `${int(n.busPublishSent)} / ${int(n.busPublishReceived)}`,
          `${int(n.busShardSent)} / ${int(n.busShardReceived)}`,
          `${int(n.busAllSent)} / ${int(n.busAllReceived)}`,
          int(n.netIn / 1024),
          int(n.netOut / 1024),
          int(n.cpuTicks * 10),
          ((n.cpuTicks * 10_000) / r.messages).toFixed(1),
        ]),
      ),
    );
  }
  return out.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { messages: { type: 'string' }, primaries: { type: 'string' }, payload: { type: 'string' } } });
  const messages = Number(values.messages ?? 20_000);
  const primaries = Number(values.primaries ?? 3);
  const payloadBytes = Number(values.payload ?? 300);
  const cluster = await startRedisCluster({ primaries, slots: 'partitions' });
  try {
    const payload = 'x'.repeat(payloadBytes);
    const results = [await measure(cluster, 'classic PUBLISH', messages, payload), await measure(cluster, 'sharded SPUBLISH', messages, payload)];
    process.stdout.write(`${format(results, primaries, payloadBytes)}\n`);
  } finally {
    await cluster.destroy();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`pubsub-hops: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
