/** The report's sections for scenario 2's ladder, scenario 5 (persistence during 1 and 2) and scenario 6 (worker drain). */
import type { BenchResult, TargetResults } from './run.js';
import type { TargetKind } from './target.js';
import { cpu, int, kb, lat, problems, serverCpu, table } from './report-format.js';

const targets = (result: BenchResult) => Object.entries(result.results) as [TargetKind, TargetResults][];

export function smallRoomsSection(result: BenchResult): string[] {
  const s2 = targets(result).filter(([, r]) => r.smallRooms);
  if (s2.length === 0) return [];
  const out = ['', '## Scenario 2: many small rooms, rate ladder (latency ms p50 / p95 / p99 / max)'];
  out.push(
    'server CPU: the target\'s processes and Redis, plus every postgres process for parley ("pg"); % of one core. ' +
      'sent/s: what the publishers actually offered; send lag: how late sends left against their schedule (p99).',
  );
  for (const [kind, r] of s2) {
    const s = r.smallRooms!;
    out.push('', `${kind}: ${s.sockets} sockets in ${s.rooms} rooms of ${s.roomSize}, ${s.publishers} publishers; connected at ${int(s.connect.ratePerSecond)}/s; RSS/socket ${s.rssPerSocket.map((x) => `${x.process} ${kb(x.bytesPerSocket)}`).join(', ')}`);
    out.push(
      table(
        ['step', 'msg/s', 'sent/s', 'send lag', 'acked', 'deliveries/s', 'latency', 'ack p99', 'lost', 'unacked', 'errors', 'server CPU', 'machine', 'gen CPU', 'gen loop', 'ok'],
        s.steps.map((x) => [
          x.step,
          x.offeredRate,
          int(x.offered.sentPerSecond),
          x.offered.sendLag.p99Ms.toFixed(1),
          x.acked,
          int(x.deliveriesPerSecond),
          lat(x.latency),
          x.ackLatency.p99Ms.toFixed(1),
          x.loss.ackedNotDelivered,
          x.loss.deliveredUnacked,
          problems(x),
          serverCpu(x.server),
          `${x.server.window.machineCpuPercent}%`,
          `${x.generator.cpuPercent}%`,
          x.generator.loopUtilisation.join('/'),
          `${x.passed ? 'yes' : 'NO'}${x.generator.saturated ? ' (gen-bound)' : ''}`,
        ]),
      ),
    );
    for (const x of s.steps) {
      const bound = x.generator.saturated ? `; gen-bound: ${x.generator.saturatedBecause.join(', ')}` : '';
      const drained = x.persistDrainMs === undefined ? '' : `; worker backlog empty ${x.persistDrainMs === null ? 'NOT within 60 s' : `${x.persistDrainMs} ms`} after the step`;
      out.push(`  step ${x.step} per process: ${cpu(x.server)}${drained}${bound}`);
    }
    const gen = s.highestSustainedGeneratorBound ? ' — generator-bound: the target may sustain more' : '';
    out.push(`highest sustained (p99 < ${s.p99LimitMs} ms, no loss): ${s.highestSustainedRate > 0 ? `${int(s.highestSustainedRate)} msg/s (${int(s.highestSustainedDeliveriesPerSecond)} deliveries/s)` : 'none'}${gen}; stopped: ${s.stoppedBecause}`);
  }
  return out;
}

export function persistenceSection(result: BenchResult): string[] {
  const p5 = [
    ['scenario 1', result.results.parley?.bigRoom?.persistence],
    ['scenario 2', result.results.parley?.smallRooms?.persistence],
  ] as const;
  if (!p5.some(([, p]) => p)) return [];
  const out = ['', '## Scenario 5: persistence (parley worker → Postgres), measured during scenarios 1 and 2'];
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
  return out;
}

export function drainSection(result: BenchResult): string[] {
  const d = result.results.parley?.drain;
  if (!d) return [];
  const f = d.fill;
  const n = (v: number | null) => (v === null ? '-' : int(v));
  const worker = d.server.window.processes.find((p) => p.name === 'worker');
  const redis = d.server.window.processes.filter((p) => p.name.startsWith('redis'));
  return [
    '',
    '## Scenario 6: worker drain (parley; backlog built with the worker stopped)',
    `fill: ${int(f.acked)} acked of ${int(f.published)} published at ${int(f.offered.sentPerSecond)}/s sent (${d.fillRate} msg/s offered, ${d.publishers} publishers, one room each); ` +
      `ack ms ${lat(f.ackLatency)}; errors ${problems(f)}; server CPU ${serverCpu(f.server)}`,
    table(
      ['backlog', 'drain s', 'rows/s', 'rows/s once ready', 'peak rows/s', 'rows', 'batches', 'rows/batch', 'worker CPU', 'redis CPU', 'postgres CPU', 'server CPU', 'machine'],
      [
        [
          int(d.backlogBeforeWorker),
          d.drain.seconds === null ? 'NOT drained' : d.drain.seconds,
          n(d.drain.rowsPerSecond),
          n(d.drain.readyRowsPerSecond),
          n(d.drain.peakRowsPerSecond),
          int(d.drain.rowsCommitted),
          int(d.drain.batches),
          String(d.drain.meanBatchSize ?? '-'),
          worker ? `${worker.cpuPercent}%` : '-',
          redis.map((p) => `${p.cpuPercent}%`).join(' + ') || '-',
          `${d.server.window.postgresCpuPercent}%`,
          serverCpu(d.server),
          `${d.server.window.machineCpuPercent}%`,
        ],
      ],
    ),
    `worker ready ${d.drain.workerStartMs} ms after spawning (drain s and rows/s include it); backlog at end ${d.drain.backlogAtEnd}; ` +
      `acked ${d.acked}, stored ${d.stored}, acked-but-not-stored ${d.ackedNotStored}, stored-not-acked ${d.storedNotAcked}`,
  ];
}
