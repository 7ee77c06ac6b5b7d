/** The human-readable report: one table per scenario, then the ratios. */
import type { LatencySummary } from './histogram.js';
import type { BenchResult, TargetResults } from './run.js';
import type { ServerUsage } from './scenarios/common.js';
import { BARE_UWS_BYTES_PER_SOCKET } from './scenarios/idle.js';
import type { TargetKind } from './target.js';

function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) => r.map((v, c) => (c === 0 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join('  ');
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const lat = (l: LatencySummary) => [l.p50Ms, l.p95Ms, l.p99Ms, l.maxMs].map((v) => v.toFixed(1)).join(' / ');
const kv = (r: Record<string, number>) => (Object.keys(r).length === 0 ? '-' : Object.entries(r).map(([k, v]) => `${k}:${v}`).join(' '));
const cpu = (s: ServerUsage) => s.window.processes.map((p) => `${p.name} ${p.cpuPercent.toFixed(0)}%`).join(', ');

function targets(result: BenchResult): [TargetKind, TargetResults][] {
  return Object.entries(result.results) as [TargetKind, TargetResults][];
}

export function formatReport(result: BenchResult): string {
  const out: string[] = [];
  const m = result.machine;
  out.push(`parley benchmark ${result.startedAt} → ${result.finishedAt}${result.options.smoke ? ' (SMOKE: tiny numbers, not a measurement)' : ''}`);
  out.push(`machine: ${m.cores} × ${m.cpuModel}, ${m.memoryGiB} GiB, Linux ${m.kernel}, Node ${m.node}, open files ${m.openFilesLimit}, Redis ${m.redis}, PostgreSQL ${m.postgres}, load ${m.loadAverageAtStart.join(' ')}`);
  out.push(`generator: ${result.options.threads} worker threads, ${result.options.payloadBytes}-byte bodies`);
  for (const [kind, r] of targets(result)) {
    if (!r.available) out.push(`${kind}: not available (${r.unavailableBecause})`);
    for (const [s, err] of Object.entries(r.failed)) out.push(`${kind}: scenario ${s} FAILED: ${err.split('\n')[0]}`);
  }
  out.push(`settings (every target's environment): ${Object.entries(result.settings).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  if (result.options.ackReplicas > 0) {
    out.push(`parley: REDIS_ACK_REPLICAS=${result.options.ackReplicas}, on a Redis primary and ${result.options.ackReplicas} replica(s) of its own (their CPU is parley's)`);
  }

  const s1 = targets(result).filter(([, r]) => r.bigRoom);
  if (s1.length > 0) {
    out.push('', '## Scenario 1: one big room (latency ms p50 / p95 / p99 / max)');
    for (const [kind, r] of s1) {
      const b = r.bigRoom!;
      out.push('', `${kind}: ${b.sockets} sockets, ${b.publishers} publishers; connected ${b.connect.ok} at ${int(b.connect.ratePerSecond)}/s; gateway RSS/socket ${b.rssPerSocket.map((x) => `${x.process} ${kb(x.bytesPerSocket)}`).join(', ')}`);
      out.push(
        table(
          ['step', 'msg/s', 'acked', 'deliveries/s', 'latency', 'ack p99', 'lost', 'unacked', 'errors', 'server CPU', 'machine', 'gen CPU', 'gen loop', 'ok'],
          b.steps.map((s) => [
            s.step,
            s.offeredRate,
            s.acked,
            int(s.deliveriesPerSecond),
            lat(s.latency),
            s.ackLatency.p99Ms.toFixed(1),
            s.loss.ackedNotDelivered,
            s.loss.deliveredUnacked,
            kv({ ...s.errors, ...Object.fromEntries(Object.entries(s.closes).map(([k, v]) => [`close${k}`, v])) }),
            `${s.server.targetCpuPercent}%`,
            `${s.server.window.machineCpuPercent}%`,
            `${s.generator.cpuPercent}%`,
            s.generator.loopUtilisation.join('/'),
            `${s.passed ? 'yes' : 'NO'}${s.generator.saturated ? ' (gen-bound)' : ''}`,
          ]),
        ),
      );
      const last = b.steps.at(-1);
      if (last) out.push(`per process, last step: ${cpu(last.server)}; all postgres ${last.server.window.postgresCpuPercent}%`);
      out.push(`highest sustained: ${int(b.highestSustainedDeliveriesPerSecond)} deliveries/s (${b.highestSustainedRate} msg/s)${b.highestSustainedGeneratorBound ? ' — generator-bound: the target may sustain more' : ''}; stopped: ${b.stoppedBecause}`);
    }
  }

  const s2 = targets(result).filter(([, r]) => r.smallRooms);
  if (s2.length > 0) {
    out.push('', '## Scenario 2: many small rooms (latency ms p50 / p95 / p99 / max)');
    out.push(
      table(
        ['target', 'sockets', 'rooms', 'msg/s', 'acked', 'deliveries/s', 'latency', 'lost', 'unacked', 'errors', 'server CPU', 'machine', 'gen CPU', 'RSS/socket'],
        s2.map(([kind, r]) => {
          const s = r.smallRooms!;
          return [
            kind,
            s.sockets,
            s.rooms,
            s.offeredRate,
            s.acked,
            int(s.deliveriesPerSecond),
            lat(s.latency),
            s.loss.ackedNotDelivered,
            s.loss.deliveredUnacked,
            kv({ ...s.errors, ...Object.fromEntries(Object.entries(s.closes).map(([k, v]) => [`close${k}`, v])) }),
            `${s.server.targetCpuPercent}%`,
            `${s.server.window.machineCpuPercent}%`,
            `${s.generator.cpuPercent}%${s.generator.saturated ? ' (gen-bound)' : ''}`,
            s.rssPerSocket.map((x) => kb(x.bytesPerSocket)).join(' '),
          ];
        }),
      ),
    );
  }

  const p5 = [
    ['scenario 1', result.results.parley?.bigRoom?.persistence],
    ['scenario 2', result.results.parley?.smallRooms?.persistence],
  ] as const;
  if (p5.some(([, p]) => p)) {
    out.push('', '## Scenario 5: persistence (parley worker → Postgres), measured during scenarios 1 and 2');
    out.push(
      table(
        ['during', 'msg/s offered', 'writes/s', 'rows/batch', 'max backlog', 'end backlog', 'persist p50 ≤ ms', 'persist p99 ≤ ms'],
        p5.flatMap(([during, p]) =>
          (p?.steps ?? []).map((s) => [during, s.offeredRate.toFixed(1), int(s.writesPerSecond), String(s.meanBatchSize ?? '-'), s.maxBacklog, s.endBacklog, String(s.persistP50Ms ?? '-'), String(s.persistP99Ms ?? '-')]),
        ),
      ),
    );
    for (const [during, p] of p5) {
      if (!p) continue;
      out.push(`${during}: peak write rate ${int(p.peakWritesPerSecond)} msg/s; backlog drained ${p.drainMs === null ? 'NOT within 60 s' : `${p.drainMs} ms`} after publishing; acked ${p.acked}, stored ${p.stored}, acked-but-not-stored ${p.ackedNotStored}`);
    }
  }

  const s3 = targets(result).filter(([, r]) => r.idle);
  if (s3.length > 0) {
    out.push('', `## Scenario 3: idle capacity (reference: bare uWS ≈ ${kb(BARE_UWS_BYTES_PER_SOCKET)}/socket)`);
    out.push(
      table(
        ['target', 'aimed', 'opened', 'failed', 'held', 'per process: sockets, RSS before → after, per socket', '× bare uWS', 'gen procs', 'gen RSS/socket'],
        s3.map(([kind, r]) => {
          const s = r.idle!;
          return [
            kind,
            s.target,
            s.connect.ok,
            `${s.connect.failed} ${kv(s.connect.failures)}`,
            s.held,
            s.rssPerSocket.map((x) => `${x.process}: ${x.sockets}, ${mb(x.rssBeforeBytes)} → ${mb(x.rssAfterBytes)}, ${kb(x.bytesPerSocket)}`).join('; '),
            s.timesBareUws,
            s.generatorProcesses,
            kb(s.generator.bytesPerSocket),
          ];
        }),
      ),
    );
    for (const [kind, r] of s3) out.push(`${kind} idle CPU: ${cpu(r.idle!.idleServer)}; connect ${int(r.idle!.connect.ratePerSecond)}/s`);
  }

  const s4 = targets(result).filter(([, r]) => r.storm);
  if (s4.length > 0) {
    out.push('', '## Scenario 4: connect storm (authentication + subscription; latency ms p50 / p95 / p99 / max)');
    out.push(
      table(
        ['target', 'sockets', 'in flight', 'welcomed', 'failed', 'seconds', 'connects/s', 'connect latency', 'server CPU', 'gen CPU'],
        s4.map(([kind, r]) => {
          const s = r.storm!;
          return [
            kind,
            s.sockets,
            s.concurrency,
            s.connect.ok,
            `${s.connect.failed} ${kv(s.connect.failures)}`,
            s.connect.seconds,
            int(s.connect.ratePerSecond),
            lat(s.connect.latency),
            cpu(s.server),
            `${s.generator.cpuPercent}%`,
          ];
        }),
      ),
    );
  }

  const rt = result.ratios;
  const baselines = (['relay', 'socketio'] as const).filter((b) => b in rt.bigRoomSustainedDeliveries);
  if (baselines.length > 0) {
    const f = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : `${v}×`);
    out.push('', '## parley ÷ baseline');
    out.push(
      table(
        ['baseline', 'S1 sustained deliveries/s', 'S2 p50', 'S2 p99', 'S2 server CPU', 'S3 RSS/socket'],
        baselines.map((b) => [b, f(rt.bigRoomSustainedDeliveries[b]), f(rt.smallRoomsP50[b]), f(rt.smallRoomsP99[b]), f(rt.smallRoomsServerCpu[b]), f(rt.idleBytesPerSocket[b])]),
      ),
    );
  }
  return out.join('\n');
}
