/** Formatting shared by the report's sections: aligned text tables and the units they print. */
import type { LatencySummary } from './histogram.js';
import type { ServerUsage } from './scenarios/common.js';

export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) => r.map((v, c) => (c === 0 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join('  ');
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export const int = (n: number) => Math.round(n).toLocaleString('en-US');
export const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
export const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
export const lat = (l: LatencySummary) => [l.p50Ms, l.p95Ms, l.p99Ms, l.maxMs].map((v) => v.toFixed(1)).join(' / ');
export const kv = (r: Record<string, number>) => (Object.keys(r).length === 0 ? '-' : Object.entries(r).map(([k, v]) => `${k}:${v}`).join(' '));
/** CPU per measured process, % of one core. */
export const cpu = (s: ServerUsage) => s.window.processes.map((p) => `${p.name} ${p.cpuPercent.toFixed(0)}%`).join(', ');
/** Errors and closes (as `close<code>`) of a window, in one cell. */
export const problems = (w: { errors: Record<string, number>; closes: Record<string, number> }) =>
  kv({ ...w.errors, ...Object.fromEntries(Object.entries(w.closes).map(([k, v]) => [`close${k}`, v])) });
/** Server CPU: the whole server side (with Postgres where the target uses it), and Postgres's share when counted. */
export const serverCpu = (s: ServerUsage) =>
  s.serverCpuPercent === s.targetCpuPercent ? `${s.serverCpuPercent}%` : `${s.serverCpuPercent}% (pg ${s.window.postgresCpuPercent}%)`;
