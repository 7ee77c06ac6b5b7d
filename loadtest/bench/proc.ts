/**
 * CPU and memory of processes from /proc (Linux only): CPU is utime + stime
 * from /proc/<pid>/stat over a window, memory is VmRSS from
 * /proc/<pid>/status. CPU % is of one core (200% = both cores of this machine).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';

/** USER_HZ: the unit of utime/stime. 100 on every Linux this runs on (`getconf CLK_TCK`). */
const TICKS_PER_SECOND = 100;

export interface Measured {
  name: string;
  pid: number;
}

export function cpuTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: fields count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

export function rssBytes(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Pids whose command name is `comm` (e.g. every `postgres` backend). */
export function pidsNamed(comm: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === comm) out.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** Busy and total jiffies of the whole machine (all cores), from /proc/stat. */
function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busy: total - idle, total };
}

export interface ProcessUsage {
  name: string;
  pid: number;
  /** Average over the window, % of one core. */
  cpuPercent: number;
  rssBytes: number;
  peakRssBytes: number;
}

export interface WindowUsage {
  seconds: number;
  processes: ProcessUsage[];
  /** Every `postgres` process on the machine together (shared with other users of the server). */
  postgresCpuPercent: number;
  /** The whole machine, % of one core, and the number of cores. */
  machineCpuPercent: number;
  cores: number;
}

/**
 * Measures a window: CPU averaged from `start` to `stop`, RSS at `stop`, and
 * peak RSS sampled every `sampleMs` in between.
 */
export class UsageWindow {
  private readonly startedAt = performance.now();
  private readonly ticks: Map<number, number>;
  private readonly peaks = new Map<number, number>();
  private readonly postgres: Map<number, number>;
  private readonly machine = machineTicks();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly processes: Measured[],
    sampleMs = 500,
  ) {
    this.ticks = new Map(processes.map((p) => [p.pid, cpuTicks(p.pid) ?? 0]));
    this.postgres = new Map(pidsNamed('postgres').map((pid) => [pid, cpuTicks(pid) ?? 0]));
    this.sample();
    this.timer = setInterval(() => this.sample(), sampleMs);
    this.timer.unref();
  }

  private sample(): void {
    for (const p of this.processes) {
      const rss = rssBytes(p.pid);
      if (rss !== null && rss > (this.peaks.get(p.pid) ?? 0)) this.peaks.set(p.pid, rss);
    }
  }

  stop(): WindowUsage {
    clearInterval(this.timer);
    this.sample();
    const seconds = (performance.now() - this.startedAt) / 1000;
    const pct = (ticks: number) => Math.round(((ticks / TICKS_PER_SECOND / seconds) * 100) * 10) / 10;
    const processes = this.processes.map((p) => ({
      name: p.name,
      pid: p.pid,
      cpuPercent: pct((cpuTicks(p.pid) ?? 0) - (this.ticks.get(p.pid) ?? 0)),
      rssBytes: rssBytes(p.pid) ?? 0,
      peakRssBytes: this.peaks.get(p.pid) ?? 0,
    }));
    let pgTicks = 0;
    for (const [pid, before] of this.postgres) {
      const now = cpuTicks(pid);
      if (now !== null) pgTicks += now - before;
    }
    const machine = machineTicks();
    const cores = cpus().length;
    const busyShare = (machine.busy - this.machine.busy) / Math.max(1, machine.total - this.machine.total);
    return {
      seconds,
      processes,
      postgresCpuPercent: pct(pgTicks),
      machineCpuPercent: Math.round(busyShare * cores * 1000) / 10,
      cores,
    };
  }
}
