/**
 * The metrics each service exposes, read from registries built the way the
 * services build theirs (createRegistry plus each service's metrics module),
 * so dashboards and alert rules are checked against the code, not against a
 * hand-kept list.
 */
import Fastify from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Counter, Histogram, Summary, type Registry } from 'prom-client';
import { createRegistry } from '../../shared/metrics.js';
import { redisKeys } from '../../shared/redis/keys.js';
import { instrument } from '../../api/index.js';
import { createGatewayMetrics } from '../../gateway/index.js';
import { createWorkerMetrics, registerBacklogGauges } from '../../worker/index.js';
import { createRedisSafetyMetrics } from '../../shared/broker/metrics.js';

export const SERVICES = ['api', 'gateway', 'worker'] as const;
export type Service = (typeof SERVICES)[number];

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary';

export interface MetricFamily {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  /** Labels the code sets, plus the registry's default labels. */
  readonly labels: ReadonlySet<string>;
  readonly services: ReadonlySet<Service>;
}

/**
 * Labels Prometheus attaches at scrape time rather than the process: `job`
 * and `instance` always; `namespace`, `pod`, `container` and `endpoint` when
 * a PodMonitor scrapes (deploy/k8s/monitoring/pod-monitors.yaml).
 */
export const TARGET_LABELS: ReadonlySet<string> = new Set(['job', 'instance', 'namespace', 'pod', 'container', 'endpoint']);

/** Series Prometheus itself writes for every target. */
export const SYNTHETIC_SERIES: ReadonlyMap<string, ReadonlySet<string>> = new Map([['up', TARGET_LABELS]]);

/** By class: prom-client's typings declare `type` a numeric enum while it holds strings. */
function typeOf(metric: object): MetricType {
  if (metric instanceof Histogram) return 'histogram';
  if (metric instanceof Summary) return 'summary';
  if (metric instanceof Counter) return 'counter';
  return 'gauge';
}

function labelNamesOf(metric: object): string[] {
  // prom-client keeps labelNames on every metric but leaves it out of its typings.
  const value: unknown = Reflect.get(metric, 'labelNames');
  if (!Array.isArray(value)) return [];
  return value.filter((v): v is string => typeof v === 'string');
}

/** The default labels (`service`) a registry puts on every series, read back from its exposition. */
async function defaultLabelsOf(registry: Registry): Promise<string[]> {
  const text = await registry.getSingleMetricAsString('parley_process_process_start_time_seconds');
  const sample = text.split('\n').find((line) => !line.startsWith('#') && line.includes('{'));
  if (!sample) return [];
  return [...sample.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)].map((m) => m[1]!);
}

async function registryOf(service: Service): Promise<Registry> {
  const registry = createRegistry(service);
  // Every service watches the Redis epochs (shared/broker/wiring.ts, worker/main.ts).
  createRedisSafetyMetrics(registry);
  if (service === 'gateway') createGatewayMetrics(registry);
  if (service === 'api') instrument(registry, Fastify().withTypeProvider<TypeBoxTypeProvider>());
  if (service === 'worker') {
    createWorkerMetrics(registry);
    // The backlog gauges query Redis only when collected, which this never does.
    const unused = (): never => {
      throw new Error('the catalog never collects the backlog gauges');
    };
    registerBacklogGauges(registry, { xlen: unused, xpending: unused }, redisKeys('parley:'));
  }
  return registry;
}

/** Every metric family of every service, by name. Families shared by all services (process metrics) are merged. */
export async function metricCatalog(): Promise<ReadonlyMap<string, MetricFamily>> {
  const families = new Map<string, { name: string; type: MetricType; help: string; labels: Set<string>; services: Set<Service> }>();
  for (const service of SERVICES) {
    const registry = await registryOf(service);
    const defaults = await defaultLabelsOf(registry);
    for (const metric of registry.getMetricsAsArray()) {
      const type = typeOf(metric);
      const family = families.get(metric.name) ?? { name: metric.name, type, help: metric.help, labels: new Set<string>(), services: new Set<Service>() };
      for (const label of [...labelNamesOf(metric), ...defaults]) family.labels.add(label);
      family.services.add(service);
      families.set(metric.name, family);
    }
  }
  return families;
}

/**
 * The series names a family is exposed as, with the labels each carries:
 * a histogram is `_bucket` (with `le`), `_sum` and `_count`; a summary is the
 * name itself (with `quantile`), `_sum` and `_count`.
 */
export function seriesOf(family: MetricFamily): Map<string, ReadonlySet<string>> {
  const { name, labels } = family;
  const plus = (extra: string) => new Set([...labels, extra]);
  switch (family.type) {
    case 'histogram':
      return new Map([
        [`${name}_bucket`, plus('le')],
        [`${name}_sum`, labels],
        [`${name}_count`, labels],
      ]);
    case 'summary':
      return new Map([
        [name, plus('quantile')],
        [`${name}_sum`, labels],
        [`${name}_count`, labels],
      ]);
    default:
      return new Map([[name, labels]]);
  }
}

/** Every series name a query may select, with the labels a selector may match on (target labels included). */
export async function selectableSeries(): Promise<ReadonlyMap<string, ReadonlySet<string>>> {
  const out = new Map<string, ReadonlySet<string>>(SYNTHETIC_SERIES);
  for (const family of (await metricCatalog()).values()) {
    for (const [series, labels] of seriesOf(family)) out.set(series, new Set([...labels, ...TARGET_LABELS]));
  }
  return out;
}
