/**
 * The rendered monitoring files match their TypeScript sources, and every
 * query in them reads metrics and labels the services actually register.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import type { IDeployment } from 'kubernetes-models/apps/v1';
import { DASHBOARDS } from '../grafana/dashboards/index.js';
import { MEMORY_LIMIT_BYTES, RULE_GROUPS } from '../prometheus/rules.js';
import { DASHBOARD_DIR, PROMETHEUS_RULE_FILE, RULES_FILE, artifacts } from './artifacts.js';
import { SERVICES, metricCatalog, selectableSeries, seriesOf } from './catalog.js';
import { dashboardExpressions, ruleExpressions, type Located } from './expressions.js';
import { selectorsOf } from './promql.js';

/** dist/deploy/monitoring/ → repository root: the committed files, not copies. */
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const read = (path: string) => readFileSync(`${repoRoot}${path}`, 'utf8');

const dashboardExprs = [...DASHBOARDS].flatMap(([name, d]) => dashboardExpressions(name, d));
const ruleExprs = ruleExpressions(RULE_GROUPS);

test('every committed rendering equals what the TypeScript renders now', () => {
  const rendered = artifacts();
  assert.ok(rendered.size >= DASHBOARDS.size + 3);
  for (const [path, text] of rendered) {
    // One message naming the file: a diff of 40 kB of JSON helps nobody.
    assert.ok(read(path) === text, `${path} is stale: run \`npm run build && node dist/deploy/monitoring/build.js\``);
  }
});

test('the catalog finds every service metrics module and the prom-client defaults', async () => {
  const catalog = await metricCatalog();
  for (const name of ['parley_gateway_connections', 'parley_api_requests_total', 'parley_worker_stream_lag_messages', 'parley_process_nodejs_eventloop_lag_p99_seconds']) {
    assert.ok(catalog.has(name), `${name} missing from the catalog`);
  }
  assert.deepEqual([...catalog.get('parley_process_process_start_time_seconds')!.services].sort(), [...SERVICES]);
  assert.ok(catalog.get('parley_api_requests_total')!.labels.has('service'), 'default labels are read back');
});

async function assertKnown(list: readonly Located[]): Promise<void> {
  const series = await selectableSeries();
  for (const { where, expr } of list) {
    const selectors = selectorsOf(expr);
    assert.ok(selectors.length > 0, `${where}: selects nothing`);
    for (const { metric, labels } of selectors) {
      const known = series.get(metric);
      assert.ok(known, `${where}: no service exposes ${metric}`);
      for (const label of labels) assert.ok(known.has(label), `${where}: ${metric} has no label ${label}`);
    }
  }
}

test('dashboard queries select only metrics and labels the services expose', async () => {
  assert.ok(dashboardExprs.length > 50);
  await assertKnown(dashboardExprs);
});

test('alert rules select only metrics and labels the services expose', async () => {
  await assertKnown(ruleExprs);
});

/**
 * prom-client defaults deliberately left off the dashboards; anything else a
 * service registers must appear on one, so a new metric gets a panel.
 */
const NOT_ON_DASHBOARDS = new Set([
  // process_cpu_seconds_total is their sum.
  'parley_process_process_cpu_user_seconds_total',
  'parley_process_process_cpu_system_seconds_total',
  // Resident memory and the V8 heap say more.
  'parley_process_process_virtual_memory_bytes',
  'parley_process_process_heap_bytes',
  'parley_process_nodejs_external_memory_bytes',
  'parley_process_nodejs_heap_space_size_total_bytes',
  'parley_process_nodejs_heap_space_size_used_bytes',
  'parley_process_nodejs_heap_space_size_available_bytes',
  // p99 is shown; the other summaries of the same measurement add noise.
  'parley_process_nodejs_eventloop_lag_seconds',
  'parley_process_nodejs_eventloop_lag_min_seconds',
  'parley_process_nodejs_eventloop_lag_max_seconds',
  'parley_process_nodejs_eventloop_lag_mean_seconds',
  'parley_process_nodejs_eventloop_lag_stddev_seconds',
  'parley_process_nodejs_eventloop_lag_p50_seconds',
  'parley_process_nodejs_eventloop_lag_p90_seconds',
  // Handle and request counts are for debugging a leak with a profiler at hand.
  'parley_process_nodejs_active_resources',
  'parley_process_nodejs_active_resources_total',
  'parley_process_nodejs_active_handles',
  'parley_process_nodejs_active_handles_total',
  'parley_process_nodejs_active_requests',
  'parley_process_nodejs_active_requests_total',
  'parley_process_nodejs_version_info',
]);

test('every metric the services register is on a dashboard, unless deliberately left off', async () => {
  const used = new Set(dashboardExprs.flatMap(({ expr }) => selectorsOf(expr).map((s) => s.metric)));
  for (const family of (await metricCatalog()).values()) {
    const shown = [...seriesOf(family).keys()].some((series) => used.has(series));
    if (NOT_ON_DASHBOARDS.has(family.name)) {
      assert.ok(!shown, `${family.name} is on a dashboard: remove it from NOT_ON_DASHBOARDS`);
    } else {
      assert.ok(shown, `${family.name} (${family.help}) is on no dashboard`);
    }
  }
});

test('dashboards: unique uids and panel ids, every panel on the datasource variable', () => {
  const uids = new Set<string>();
  for (const [name, dashboard] of DASHBOARDS) {
    assert.equal(dashboard.uid, name, 'the uid is the file name, so links and imports agree');
    assert.ok(dashboard.uid.length <= 40, `${name}: Grafana uids are at most 40 characters`);
    assert.ok(!uids.has(dashboard.uid));
    uids.add(dashboard.uid);
    const ids = (dashboard.panels ?? []).map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, `${name}: duplicate panel ids`);
    for (const panel of dashboard.panels ?? []) {
      if (!('targets' in panel)) continue; // a row
      assert.equal(panel.datasource?.uid, '${datasource}', `${name} › ${panel.title}: hard-wired data source`);
      assert.ok(panel.description, `${name} › ${panel.title}: panels explain themselves`);
    }
    assert.ok(read(`${DASHBOARD_DIR}/${name}.json`).includes(`"uid": "${name}"`));
  }
});

test('the PrometheusRule and the plain rules file carry the same groups, and the operator schema accepts it', () => {
  const plain = parse(read(RULES_FILE)) as { groups: unknown };
  const [doc, ...more] = parseAllDocuments(read(PROMETHEUS_RULE_FILE));
  assert.equal(more.length, 0);
  const resource = doc!.toJS() as { spec: { groups: unknown } };
  assert.deepEqual(resource.spec.groups, plain.groups);
  assert.doesNotThrow(() => new PrometheusRule(resource as ConstructorParameters<typeof PrometheusRule>[0]).validate());
});

test('memory alert thresholds use the containers’ limits in deploy/k8s/base', () => {
  const units: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 };
  for (const service of SERVICES) {
    const deployment = parseAllDocuments(read(`deploy/k8s/base/${service}.yaml`))
      .map((d) => d.toJS() as IDeployment)
      .find((o) => o.kind === 'Deployment');
    const limit = String(deployment?.spec?.template.spec?.containers[0]?.resources?.limits?.memory);
    const match = /^(\d+)(Ki|Mi|Gi)$/.exec(limit);
    assert.ok(match, `${service}: unparsable memory limit ${limit}`);
    assert.equal(MEMORY_LIMIT_BYTES[service], Number(match[1]) * units[match[2]!]!, `${service}: MEMORY_LIMIT_BYTES ≠ ${limit}`);
  }
});
