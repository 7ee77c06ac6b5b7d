/**
 * One publishing window, measured the same way in every scenario that
 * publishes: counters before, publish open loop for the duration, counters at
 * the end (for rates), then wait for deliveries to settle and account for
 * loss (for completeness). Rates use the publishing time only; loss and
 * latency include what arrived while settling.
 */
import type { Generator } from '../generator.js';
import type { LossReport } from '../loss.js';
import { UsageWindow } from '../proc.js';
import { delta, generatorUsage, measuredProcesses, serverUsage, type GeneratorUsage, type LatencySummary, type ScenarioContext, type ServerUsage } from './common.js';
import type { PersistenceWatch, PersistenceWindow } from './persistence.js';
import { RedisNodesWindow, type RedisNodeWindow } from '../redis-nodes.js';

export interface PublishWindow {
  seconds: number;
  published: number;
  acked: number;
  /** Deliveries counted while publishing, per second. */
  deliveriesPerSecond: number;
  latency: LatencySummary;
  ackLatency: LatencySummary;
  loss: LossReport;
  duplicates: number;
  errors: Record<string, number>;
  closes: Record<string, number>;
  /** False when deliveries were still arriving at the end of the drain. */
  settled: boolean;
  server: ServerUsage;
  generator: GeneratorUsage;
  /** What the publishers actually offered: a generator that cannot keep its schedule offers less, later. */
  offered: OfferedLoad;
  /** Per Redis node of the target's own (a Redis Cluster's primaries), when it names them. */
  redisNodes?: RedisNodeWindow[];
}

export interface OfferedLoad {
  /** Messages sent per second over the window (the open-loop rate, if the generator kept up). */
  sentPerSecond: number;
  /** How late messages left against their schedule. */
  sendLag: LatencySummary;
}

/**
 * A send p99 later than this behind its schedule marks the window gen-bound.
 * Hosts check the schedule every 5 ms, so a host that keeps up sends within
 * about one tick; more means its loop (or the machine) could not offer the
 * rate, and since latency counts from the real send time, the delay would
 * otherwise be hidden.
 */
export const SEND_LAG_BOUND_MS = 10;

export async function measurePublishing(
  ctx: ScenarioContext,
  gen: Generator,
  ratePerPublisher: number,
  ms: number,
  watch: PersistenceWatch | null,
): Promise<{ window: PublishWindow; persistence: PersistenceWindow | undefined }> {
  const before = await gen.stats(true);
  await watch?.start();
  const nodes = ctx.server.redisNodes ? await RedisNodesWindow.start(ctx.server.redisNodes()) : null;
  const usage = new UsageWindow(measuredProcesses(ctx));
  const started = performance.now();
  const { sent, lag } = await gen.publish(ratePerPublisher, ms);
  const seconds = (performance.now() - started) / 1000;
  const atEnd = await gen.stats(false);
  const used = usage.stop();
  const redisNodes = await nodes?.stop();
  const persistence = await watch?.stop();
  const { stats, settled } = await gen.settle({ quietMs: Math.min(2000, ctx.options.drainMs), maxMs: ctx.options.drainMs });
  const loss = await gen.account();
  const final = await gen.stats(true);
  const sendLag = lag.summary();
  const generator = generatorUsage(before, atEnd, seconds);
  if (sendLag.p99Ms > SEND_LAG_BOUND_MS) {
    generator.saturated = true;
    generator.saturatedBecause.push(`sends p99 ${sendLag.p99Ms.toFixed(1)} ms behind schedule (a busy generator loop, or a machine with no core free)`);
  }
  return {
    persistence,
    window: {
      seconds: Math.round(seconds * 100) / 100,
      published: final.published - before.published,
      acked: final.acked - before.acked,
      deliveriesPerSecond: Math.round((atEnd.deliveries - before.deliveries) / seconds),
      latency: stats.latency.summary(),
      ackLatency: stats.ackLatency.summary(),
      loss,
      duplicates: final.duplicates - before.duplicates,
      errors: delta(final.errors, before.errors),
      closes: delta(final.closes, before.closes),
      settled,
      server: serverUsage(used, ctx.server),
      generator,
      offered: { sentPerSecond: Math.round(sent / seconds), sendLag },
      ...(redisNodes ? { redisNodes } : {}),
    },
  };
}
