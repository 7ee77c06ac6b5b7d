/**
 * What scripts/worker-drain.ts measures, read from outside the worker: CPU
 * from /proc/<pid>/stat (the worker processes and the Postgres backends of
 * the test database), and the worker's own Prometheus series.
 */
import { readFileSync } from 'node:fs';
import type { ServiceProcess } from '../testkit/processes.js';
import type { TestDatabase } from '../testkit/postgres.js';

const TICKS = 100; // USER_HZ on Linux

/** utime + stime of a process in seconds, or null once it is gone. */
function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return null;
  }
}

/** CPU of the workers and of the Postgres backends serving the test database, between start() and stop(). */
export class CpuMeter {
  private readonly first = new Map<number, number>();
  private readonly last = new Map<number, number>();
  private workerStart = 0;
  private timer: NodeJS.Timeout | null = null;
  constructor(
    private readonly db: TestDatabase,
    private readonly workers: ServiceProcess[],
  ) {}

  private workerCpu(): number {
    return this.workers.reduce((sum, w) => sum + (cpuSeconds(w.child.pid!) ?? 0), 0);
  }

  async start(): Promise<void> {
    this.workerStart = this.workerCpu();
    await this.sample();
    // Backends the pool opens later are found by the periodic sample; the
    // CPU they spent before being seen is lost (at most one interval's worth).
    this.timer = setInterval(() => void this.sample(), 250);
  }

  private async sample(): Promise<void> {
    const name = new URL(this.db.url).pathname.slice(1);
    const rows = await this.db.sql<{ pid: number }[]>`
      select pid from pg_stat_activity where datname = ${name} and application_name = 'parley-worker'
    `;
    for (const { pid } of rows) {
      const now = cpuSeconds(pid);
      if (now === null) continue;
      if (!this.first.has(pid)) this.first.set(pid, now);
      this.last.set(pid, now);
    }
  }

  async stop(): Promise<{ worker: number; postgres: number; backends: number }> {
    if (this.timer) clearInterval(this.timer);
    await this.sample();
    let postgres = 0;
    for (const [pid, start] of this.first) postgres += this.last.get(pid)! - start;
    return { worker: this.workerCpu() - this.workerStart, postgres, backends: this.first.size };
  }
}

/** The workers' own series summed, keyed by name and labels other than the registry's default `service`. */
export async function workerMetrics(procs: ServiceProcess[]): Promise<Map<string, number>> {
  const values = new Map<string, number>();
  for (const worker of procs) {
    const text = await (await fetch(`http://127.0.0.1:${worker.opsPort}/metrics`)).text();
    for (const line of text.split('\n')) {
      const m = /^(parley_worker_[a-z_]+(?:\{[^}]*\})?) ([0-9.e+-]+|\+Inf)$/.exec(line);
      if (!m) continue;
      const key = m[1]!.replace(/,?service="[^"]*"/, '').replace('{,', '{').replace('{}', '');
      values.set(key, (values.get(key) ?? 0) + Number(m[2]));
    }
  }
  return values;
}

export function batchStats(before: Map<string, number>, after: Map<string, number>) {
  const d = (k: string) => (after.get(k) ?? 0) - (before.get(k) ?? 0);
  const batches = d('parley_worker_batch_size_count');
  return { batches, perBatch: batches > 0 ? d('parley_worker_batch_size_sum') / batches : 0, persisted: d('parley_worker_messages_persisted_total') };
}

export const perK = (cpu: number, rows: number) => `${((cpu / rows) * 1e6).toFixed(0)} ms`;
export const pct = (cpu: number, elapsed: number) => `${((cpu / elapsed) * 100).toFixed(1)} %`;

/** Quantiles of the accepted→committed histogram over the run, as bucket upper bounds. */
export function latency(before: Map<string, number>, after: Map<string, number>): string {
  const buckets: [number, number][] = [];
  for (const [k, v] of after) {
    const m = /^parley_worker_persist_latency_seconds_bucket\{le="([^"]+)"\}$/.exec(k);
    if (m) buckets.push([m[1] === '+Inf' ? Infinity : Number(m[1]), v - (before.get(k) ?? 0)]);
  }
  buckets.sort((a, b) => a[0] - b[0]);
  const total = buckets.at(-1)?.[1] ?? 0;
  if (total === 0) return 'n/a';
  const q = (p: number) => buckets.find(([, c]) => c >= p * total)?.[0];
  const over = (s: number) => total - (buckets.find(([le]) => le >= s)?.[1] ?? total);
  return `p50 ≤ ${q(0.5)} s, p99 ≤ ${q(0.99)} s, max ≤ ${q(1)} s; over 0.5 s: ${over(0.5)}, over 1 s: ${over(1)} of ${total}`;
}
