/**
 * The per-pod process row every service dashboard ends with, from the
 * prom-client default metrics (`parley_process_` prefix, shared/metrics.ts).
 */
import type { Service } from '../../monitoring/catalog.js';
import { MEMORY_LIMIT_BYTES } from '../../prometheus/rules.js';
import { sized, type Row } from './layout.js';
import { timeseries } from './panels.js';

const RI = '$__rate_interval';

export function processRow(service: Service): Row {
  const sel = `service="${service}", instance=~"$instance"`;
  const limit = MEMORY_LIMIT_BYTES[service];
  return {
    title: 'Process (per pod)',
    panels: [
      sized(
        timeseries({
          title: 'CPU',
          description: 'CPU time per second, 100 % = one core. The event loop runs on one core, so a process near 100 % is saturated whatever its limit.',
          queries: [{ expr: `sum by (instance) (rate(parley_process_process_cpu_seconds_total{${sel}}[${RI}]))`, legend: '{{instance}}' }],
          unit: 'percentunit',
          min: 0,
        }),
        6,
      ),
      sized(
        timeseries({
          title: 'Resident memory',
          description: 'Resident set size per process. The lines mark the ParleyMemoryNearLimit alert (90 %) and the container memory limit in deploy/k8s, where the kernel OOM-kills.',
          queries: [{ expr: `parley_process_process_resident_memory_bytes{${sel}}`, legend: '{{instance}}' }],
          unit: 'bytes',
          min: 0,
          thresholds: [0.9 * limit, limit],
        }),
        6,
      ),
      sized(
        timeseries({
          title: 'Event loop lag p99',
          description: 'How late timers fire, 99th percentile per scrape interval: every frame, request or batch on this process waits at least this long. ParleyEventLoopLagHigh fires above 100 ms.',
          queries: [{ expr: `parley_process_nodejs_eventloop_lag_p99_seconds{${sel}}`, legend: '{{instance}}' }],
          unit: 's',
          min: 0,
          thresholds: [0.05, 0.1],
        }),
        6,
      ),
      sized(
        timeseries({
          title: 'Time in garbage collection',
          description: 'Seconds of GC pause per second, by GC kind. Rising major GC with rising heap usually means a leak or an oversized backlog in memory.',
          queries: [{ expr: `sum by (instance, kind) (rate(parley_process_nodejs_gc_duration_seconds_sum{${sel}}[${RI}]))`, legend: '{{instance}} {{kind}}' }],
          unit: 'percentunit',
          min: 0,
        }),
        6,
      ),
      sized(
        timeseries({
          title: 'V8 heap',
          description: 'Heap in use and heap reserved per process.',
          queries: [
            { expr: `parley_process_nodejs_heap_size_used_bytes{${sel}}`, legend: '{{instance}} used' },
            { expr: `parley_process_nodejs_heap_size_total_bytes{${sel}}`, legend: '{{instance}} total' },
          ],
          unit: 'bytes',
          min: 0,
        }),
        12,
      ),
      sized(
        timeseries({
          title: 'File descriptors in use',
          description: 'Open file descriptors as a share of the process limit; every WebSocket holds one. ParleyFileDescriptorsNearLimit fires above 80 %.',
          queries: [{ expr: `parley_process_process_open_fds{${sel}} / parley_process_process_max_fds{${sel}}`, legend: '{{instance}}' }],
          unit: 'percentunit',
          min: 0,
          thresholds: [0.6, 0.8],
        }),
        12,
      ),
    ],
  };
}
