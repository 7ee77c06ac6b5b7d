/**
 * Prometheus metrics. Each process owns one Registry; metric sets are created
 * against it by each service (see `gateway/metrics.ts` etc.).
 *
 * Naming: `parley_` prefix, base units (seconds, bytes) in the name, and
 * `_total` on counters, so `promtool check metrics` passes on our own metrics.
 */
import { Registry, collectDefaultMetrics } from 'prom-client';

export function createRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, prefix: 'parley_process_' });
  return registry;
}

/** Latency buckets (seconds) for in-cluster operations: 0.5 ms … 5 s. */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
