/**
 * Scenario 6, parley only: how fast the worker drains a backlog. The target
 * starts without its worker; publishers (each alone in its own room, so a
 * message costs the generator one delivery) publish `messages` through the
 * gateways, open loop at `fillRate`, and every one of them lands in the
 * persistence streams with nothing consuming. Then the worker starts and the
 * scenario measures, until the streams are empty: rows committed per second
 * (the worker's `parley_worker_messages_persisted_total`), rows per batch,
 * and the CPU of the worker, Redis and Postgres. At the end the messages
 * table must hold every acked message.
 *
 * The run sets PERSIST_MAX_BACKLOG above the backlog (see run.ts): the
 * gateways refuse publishes past it, which would make this a test of the bound.
 */
import { Generator } from '../generator.js';
import { UsageWindow } from '../proc.js';
import type { TargetServer } from '../target.js';
import { connectOutcome, dealtTo, measuredProcesses, serverUsage, socketPlans, type ConnectSummary, type ScenarioContext, type ServerUsage } from './common.js';
import { hasPersistence, waitForDrain, type PersistenceProbe, type PersistenceSample } from './persistence.js';
import { measurePublishing, type PublishWindow } from './window.js';

/** What scenario 6 needs of a target beyond the contract: parley's worker, started on demand. */
interface DeferredWorkerServer extends TargetServer {
  persistence: PersistenceProbe;
  startWorker(): Promise<void>;
  persistBacklog(): Promise<number>;
}

function hasDeferredWorker(server: TargetServer): server is DeferredWorkerServer {
  const s = server as Partial<DeferredWorkerServer>;
  return hasPersistence(server) && typeof s.startWorker === 'function' && typeof s.persistBacklog === 'function';
}

export interface DrainFigures {
  /** From spawning the worker to an empty backlog (null: not within the bound). */
  seconds: number | null;
  /** Spawning the worker until it reported ready (it may commit rows meanwhile). */
  workerStartMs: number;
  /** Rows the worker committed (its counter) ÷ `seconds`: the drain rate, worker start-up included. */
  rowsPerSecond: number | null;
  /** Rows committed per second from the worker being ready to an empty backlog: the rate without start-up. */
  readyRowsPerSecond: number | null;
  /** Highest rate over any one-second span of the samples. */
  peakRowsPerSecond: number | null;
  rowsCommitted: number;
  batches: number;
  meanBatchSize: number | null;
  /** Backlog at the end of the wait (0 when drained). */
  backlogAtEnd: number;
}

export interface DrainResult {
  messages: number;
  publishers: number;
  fillRate: number;
  connect: ConnectSummary;
  /** The fill, measured like any publishing window (acks, deliveries, loss; no worker running). */
  fill: PublishWindow;
  /** Persistence-stream entries once filling ended, read from Redis before the worker started. */
  backlogBeforeWorker: number;
  drain: DrainFigures;
  /** From the worker being ready to an empty backlog: worker, Redis, gateways, api, and every postgres process. */
  server: ServerUsage;
  acked: number;
  stored: number;
  ackedNotStored: number;
  /** Rows beyond the acked messages (accepted, but the ack did not arrive before accounting). */
  storedNotAcked: number;
}

const SAMPLE_MS = 250;

/** Highest committed-rows rate over a span of at least one second between two samples. */
function peakRate(samples: PersistenceSample[]): number | null {
  let best: number | null = null;
  let j = 0;
  for (let i = 0; i < samples.length; i++) {
    while (j < samples.length && samples[j]!.atMs - samples[i]!.atMs < 1000) j++;
    if (j >= samples.length) break;
    const rate = ((samples[j]!.persisted - samples[i]!.persisted) * 1000) / (samples[j]!.atMs - samples[i]!.atMs);
    best = Math.max(best ?? 0, Math.round(rate));
  }
  return best;
}

export async function runDrain(ctx: ScenarioContext): Promise<DrainResult> {
  const o = ctx.options.drain;
  const { server } = ctx;
  if (!hasDeferredWorker(server)) throw new Error('scenario 6 needs a target whose worker can be started on demand (parley)');
  ctx.progress(`preparing ${o.publishers} users, each alone in a room`);
  const workload = await server.prepare(o.publishers, o.publishers, Array.from({ length: o.publishers }, (_, u) => [u]));
  const gen = await Generator.start({ kind: ctx.kind, hosts: ctx.options.threads, mode: 'threads', payloadBytes: ctx.options.payloadBytes });
  let connect: ConnectSummary;
  let fill: PublishWindow;
  try {
    const plans = socketPlans(workload, server.endpoints, gen.hostCount, ctx.addresses.take(o.publishers), (u) => [workload.rooms[u]!], (u) => ({ id: u, room: workload.rooms[u]!, fanout: 1 }));
    const connected = await gen.connect(dealtTo(plans, gen.hostCount), { concurrency: ctx.options.connectConcurrency });
    connect = connectOutcome(connected);
    if (connected.failed > 0) throw new Error(`scenario 6: ${connected.failed} of ${o.publishers} sockets failed to connect: ${JSON.stringify(connected.failures)}`);
    const ms = (o.messages / o.fillRate) * 1000;
    ctx.progress(`filling: ${o.messages} messages at ${o.fillRate} msg/s (${(ms / 1000).toFixed(1)} s) with no worker`);
    fill = (await measurePublishing(ctx, gen, o.fillRate / o.publishers, ms, null)).window;
    await gen.closeSockets();
  } finally {
    await gen.stop();
  }

  const backlogBeforeWorker = await server.persistBacklog();
  ctx.progress(`backlog ${backlogBeforeWorker}; starting the worker`);
  const spawned = performance.now();
  await server.startWorker();
  const workerStartMs = Math.round(performance.now() - spawned);
  const usage = new UsageWindow(measuredProcesses(ctx));
  const samples: PersistenceSample[] = [];
  const { drainMs, sample: last } = await waitForDrain(server.persistence, o.maxDrainSeconds * 1000, { pollMs: SAMPLE_MS, onSample: (s) => samples.push(s) });
  const window = usage.stop();
  const seconds = drainMs === null ? null : (workerStartMs + drainMs) / 1000;
  const first = samples[0]!;
  const readySeconds = (last.atMs - first.atMs) / 1000;
  const stored = await server.persistence.storedMessages();
  ctx.progress(`drained ${last.persisted} rows in ${seconds ?? 'NOT within the bound'} s; ${stored} rows stored of ${fill.acked} acked`);
  return {
    messages: o.messages,
    publishers: o.publishers,
    fillRate: o.fillRate,
    connect,
    fill,
    backlogBeforeWorker,
    drain: {
      seconds: seconds === null ? null : Math.round(seconds * 100) / 100,
      workerStartMs,
      rowsPerSecond: seconds === null || seconds === 0 ? null : Math.round(last.persisted / seconds),
      readyRowsPerSecond: readySeconds > 0 && last.persisted > first.persisted ? Math.round((last.persisted - first.persisted) / readySeconds) : null,
      peakRowsPerSecond: peakRate(samples),
      rowsCommitted: last.persisted,
      batches: last.batches,
      meanBatchSize: last.batches > 0 ? Math.round((last.batchedEntries / last.batches) * 10) / 10 : null,
      backlogAtEnd: last.backlog,
    },
    server: serverUsage(window, server),
    acked: fill.acked,
    stored,
    ackedNotStored: Math.max(0, fill.acked - stored),
    storedNotAcked: Math.max(0, stored - fill.acked),
  };
}
