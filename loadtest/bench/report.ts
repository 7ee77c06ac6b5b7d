/** The human-readable report: one table per scenario, then the ratios. */
import type { BenchResult, TargetResults } from './run.js';
import { BARE_UWS_BYTES_PER_SOCKET } from './scenarios/idle.js';
import type { TargetKind } from './target.js';
import { cpu, int, kb, kv, lat, mb, problems, serverCpu, table } from './report-format.js';
import { drainSection, persistenceSection, smallRoomsSection } from './report-persist.js';
import { clusterSection } from './report-cluster.js';
import { SOCKETIO_TRANSPORT_BASELINES, type RatioSet, type Ratios } from './ratios.js';

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
  if (result.options.batchFrames) out.push('parley: sockets opted in to multi-message frames (?batch=1; parley-socketio: batch in the CONNECT auth)');
  const parleyEnv = Object.entries(result.options.parleyEnv ?? {});
  if (parleyEnv.length > 0) out.push(`parley's own settings: ${parleyEnv.map(([k, v]) => `${k}=${v}`).join(' ')}`);

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
            problems(s),
            serverCpu(s.server),
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

  out.push(...smallRoomsSection(result), ...clusterSection(result), ...persistenceSection(result));

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
    out.push('', '## Scenario 4: connect storm (latency ms p50 / p95 / p99 / max)');
    out.push('ready: parley and parley-socketio `welcome` (token verified, rooms read, subscriptions live); relay `{"ready":true}` (room subscriptions live); socketio the CONNECT reply (rooms joined)');
    out.push(
      table(
        ['target', 'sockets', 'in flight', 'ready', 'failed', 'seconds', 'connects/s', 'connect latency', 'server CPU', 'per process', 'gen CPU'],
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
            serverCpu(s.server),
            cpu(s.server),
            `${s.generator.cpuPercent}%`,
          ];
        }),
      ),
    );
  }

  out.push(...drainSection(result));

  const rt = result.ratios;
  const at = rt.smallRoomsFirstRate === null ? 'first step' : `${int(rt.smallRoomsFirstRate)} msg/s`;
  const baselines = (['relay', 'socketio'] as const).filter((b) => b in rt.bigRoomSustainedDeliveries);
  if (baselines.length > 0) {
    out.push('', '## parley ÷ baseline');
    out.push(ratioTable(at, baselines.map((b) => [b, pick(rt, b)])));
    if (rt.smallRoomsFirstRate !== null) out.push('S2 server CPU: parley with Postgres (gateways, api, worker, Redis, Postgres) against the baseline\'s processes and Redis.');
  }
  const transport = SOCKETIO_TRANSPORT_BASELINES.filter((b) => rt.socketIoTransport[b]);
  if (transport.length > 0) {
    out.push('', '## parley-socketio ÷ baseline (parley through its Socket.IO endpoint)');
    out.push(ratioTable(at, transport.map((b) => [b, rt.socketIoTransport[b]!])));
    out.push('÷ parley: what the Socket.IO transport costs on the same server; ÷ socketio: parley and Socket.IO on the same wire protocol.');
  }
  return out.join('\n');
}

/** parley's ratios against one baseline, as one set. */
function pick(rt: Ratios, b: TargetKind): RatioSet {
  return {
    bigRoomSustainedDeliveries: rt.bigRoomSustainedDeliveries[b] ?? null,
    smallRoomsSustainedRate: rt.smallRoomsSustainedRate[b] ?? null,
    smallRoomsP50: rt.smallRoomsP50[b] ?? null,
    smallRoomsP99: rt.smallRoomsP99[b] ?? null,
    smallRoomsServerCpu: rt.smallRoomsServerCpu[b] ?? null,
    smallRoomsAckP99: rt.smallRoomsAckP99[b] ?? null,
    idleBytesPerSocket: rt.idleBytesPerSocket[b] ?? null,
    stormConnectsPerSecond: rt.stormConnectsPerSecond[b] ?? null,
  };
}

function ratioTable(at: string, rows: [TargetKind, RatioSet][]): string {
  const f = (v: number | null) => (v === null ? 'n/a' : `${v}×`);
  return table(
    ['baseline', 'S1 sustained deliveries/s', 'S2 sustained msg/s', `S2 p50 @${at}`, `S2 p99 @${at}`, `S2 server CPU @${at}`, `S2 ack p99 @${at}`, 'S3 RSS/socket', 'S4 connects/s'],
    rows.map(([b, r]) => [
      b,
      f(r.bigRoomSustainedDeliveries),
      f(r.smallRoomsSustainedRate),
      f(r.smallRoomsP50),
      f(r.smallRoomsP99),
      f(r.smallRoomsServerCpu),
      f(r.smallRoomsAckP99),
      f(r.idleBytesPerSocket),
      f(r.stormConnectsPerSecond),
    ]),
  );
}
