/**
 * promtool's verdict on the rules, their unit tests, the dashboards' PromQL
 * and the compose Prometheus config. promtool comes with Debian's
 * `prometheus` package; without it these tests skip.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import Fastify from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Registry } from 'prom-client';
import { instrument } from '../../api/index.js';
import { DASHBOARDS } from '../grafana/dashboards/index.js';
import { createGatewayMetrics } from '../../gateway/index.js';
import { createWorkerMetrics } from '../../worker/index.js';
import { RULES_FILE } from './artifacts.js';
import { dashboardExpressions, withoutGrafanaVariables } from './expressions.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** Runs promtool, or skips the test when it is not installed. */
function promtool(t: TestContext, args: string[], input?: string): { status: number | null; output: string } | null {
  const result = spawnSync('promtool', args, { cwd: repoRoot, encoding: 'utf8', input });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    t.skip('promtool not installed');
    return null;
  }
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

test('promtool check rules accepts the rules file', (t) => {
  const result = promtool(t, ['check', 'rules', RULES_FILE]);
  if (result) assert.equal(result.status, 0, result.output);
});

test('promtool test rules: the alert unit tests pass', (t) => {
  const result = promtool(t, ['test', 'rules', 'deploy/prometheus/parley-rules.test.yaml']);
  if (result) assert.equal(result.status, 0, result.output);
});

test('promtool check config accepts the compose Prometheus config and its rule file', (t) => {
  const result = promtool(t, ['check', 'config', 'deploy/prometheus/prometheus.yml']);
  if (result) assert.equal(result.status, 0, result.output);
});

test('every dashboard query parses: promtool checks them as recording rules', (t) => {
  const rules = [...DASHBOARDS].flatMap(([name, dashboard]) =>
    dashboardExpressions(name, dashboard).map(({ expr }, n) => ({ record: `check:${name.replaceAll('-', '_')}:${n}`, expr: withoutGrafanaVariables(expr) })),
  );
  const dir = mkdtempSync(`${tmpdir()}/parley-promql-`);
  try {
    const file = `${dir}/dashboards.rules.yaml`;
    writeFileSync(file, stringify({ groups: [{ name: 'dashboards', rules }] }, { lineWidth: 0 }));
    const result = promtool(t, ['check', 'rules', file]);
    if (result) assert.equal(result.status, 0, result.output);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('promtool check metrics finds nothing to lint in parley’s own metrics', async (t) => {
  // Own metrics only: prom-client's defaults break promtool's naming rules (stack notes).
  const registry = new Registry();
  createGatewayMetrics(registry);
  createWorkerMetrics(registry);
  instrument(registry, Fastify().withTypeProvider<TypeBoxTypeProvider>());
  const result = promtool(t, ['check', 'metrics'], await registry.metrics());
  if (result) assert.equal(result.status, 0, result.output);
});
