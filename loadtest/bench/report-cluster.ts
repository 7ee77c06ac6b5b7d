/**
 * The report's section for parley on a Redis Cluster of its own (scenario 2
 * on `parley-cluster1` and `parley-cluster3`): per step and per primary, its
 * CPU (by PID), the publish path's share (SPUBLISH: one per room message),
 * script calls and network, and Redis CPU per message over all primaries.
 * Every primary shares this machine's cores, so the figures are per-primary
 * load and spread, not what separate machines would sustain.
 */
import type { BenchResult, TargetResults } from './run.js';
import type { TargetKind } from './target.js';
import { int, table } from './report-format.js';
import type { SmallRoomsStep } from './scenarios/small-rooms.js';

const onCluster = (result: BenchResult) =>
  (Object.entries(result.results) as [TargetKind, TargetResults][]).filter(([, r]) => r.smallRooms?.steps.some((s) => s.redisNodes));

/** CPU of the Redis nodes in a step, by node name (% of one core). */
export function redisCpu(step: SmallRoomsStep): Record<string, number> {
  const names = new Set((step.redisNodes ?? []).map((n) => n.name));
  return Object.fromEntries(step.server.window.processes.filter((p) => names.has(p.name)).map((p) => [p.name, p.cpuPercent]));
}

export function clusterSection(result: BenchResult): string[] {
  const targets = onCluster(result);
  if (targets.length === 0) return [];
  const out = ['', `## Redis Cluster: scenario 2 per primary (slots split: ${result.options.redisSlots})`];
  out.push(
    'CPU by PID, % of one core; SPUBLISH/s: room messages, typing and probes the node published (share of all nodes); ' +
      'µs/msg: all primaries\' CPU ÷ messages sent. Every primary shares this machine\'s cores.',
  );
  for (const [kind, r] of targets) {
    const steps = r.smallRooms!.steps.filter((s) => s.redisNodes);
    out.push('', `${kind}:`);
    const rows: (string | number)[][] = [];
    for (const s of steps) {
      const cpu = redisCpu(s);
      for (const n of s.redisNodes!) {
        rows.push([
          s.step,
          s.offeredRate,
          n.name,
          [n.partitions.map((p) => `p${p}`).join(' '), ...n.extras].filter(Boolean).join(', '),
          `${(cpu[n.name] ?? 0).toFixed(1)}%`,
          `${int(n.spublishPerSecond)} (${Math.round(n.spublishShare * 100)}%)`,
          int(n.scriptsPerSecond),
          int(n.netInKBps),
          int(n.netOutKBps),
          int(n.busMessagesPerSecond),
          n.shardChannels,
          n.clients,
        ]);
      }
    }
    out.push(table(['step', 'msg/s', 'node', 'serves', 'CPU', 'SPUBLISH/s (share)', 'scripts/s', 'in KB/s', 'out KB/s', 'bus msg/s', 'shard channels', 'clients'], rows));
    for (const s of steps) {
      const cpu = Object.values(redisCpu(s));
      const total = cpu.reduce((a, b) => a + b, 0);
      const perMessage = s.offered.sentPerSecond > 0 ? (total / 100 / s.offered.sentPerSecond) * 1e6 : 0;
      out.push(
        `  step ${s.step}: Redis ${total.toFixed(1)}% over ${cpu.length} primar${cpu.length === 1 ? 'y' : 'ies'} (busiest ${Math.max(0, ...cpu).toFixed(1)}%), ` +
          `${perMessage.toFixed(0)} µs of Redis CPU per message; p99 ${s.latency.p99Ms.toFixed(1)} ms, ack p99 ${s.ackLatency.p99Ms.toFixed(1)} ms, ` +
          `server ${s.server.serverCpuPercent}%, machine ${s.server.window.machineCpuPercent}%`,
      );
    }
  }
  return out;
}
