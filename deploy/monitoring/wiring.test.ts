/**
 * The monitoring manifests and configs are valid and point at what the base
 * manifests and the compose file actually run: PodMonitors select the
 * services' pods and ops ports, job names are the ones the alerts expect,
 * and Grafana gets the dashboards and a Prometheus data source.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { ConfigMap } from 'kubernetes-models/v1';
import { PodMonitor, PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import type { IPodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import type { IDeployment } from 'kubernetes-models/apps/v1';
import { DASHBOARDS } from '../grafana/dashboards/index.js';
import { SIDECAR_LABEL, dashboardJson } from './artifacts.js';
import { SERVICES, type Service } from './catalog.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const k8sDir = `${repoRoot}deploy/k8s/`;
const baseDir = `${k8sDir}base/`;
const monitoringDir = `${k8sDir}monitoring/`;
const read = (path: string) => readFileSync(`${repoRoot}${path}`, 'utf8');

// Parsed YAML has no static type: validate() is what checks its shape, hence `never` for the data.
type Validator = new (data: never) => { validate(): void };
const MODELS: Record<string, Validator> = {
  'v1/ConfigMap': ConfigMap,
  'monitoring.coreos.com/v1/PodMonitor': PodMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
};

interface Doc {
  readonly file: string;
  readonly object: { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> } } & Record<string, unknown>;
}

function documents(dir: string, file: string): Doc[] {
  return parseAllDocuments(readFileSync(`${dir}${file}`, 'utf8')).map((doc) => {
    assert.deepEqual(doc.errors.map(String), [], `${file}: YAML errors`);
    return { file, object: doc.toJS() as Doc['object'] };
  });
}

const KUSTOMIZATION = 'kustomization.yaml';
const monitoringFiles = readdirSync(monitoringDir).filter((f) => /\.ya?ml$/.test(f) && f !== KUSTOMIZATION).sort();
const monitoringDocs = monitoringFiles.flatMap((f) => documents(monitoringDir, f));

const deployments = new Map<Service, IDeployment>(
  SERVICES.map((service) => {
    const found = documents(baseDir, `${service}.yaml`).map((d) => d.object as unknown as IDeployment).find((o) => o.kind === 'Deployment');
    assert.ok(found, `deploy/k8s/base/${service}.yaml has no Deployment`);
    return [service, found];
  }),
);

test('every monitoring manifest is valid against its schema', () => {
  assert.ok(monitoringDocs.length > 0);
  for (const { file, object } of monitoringDocs) {
    const Model = MODELS[`${object.apiVersion}/${object.kind}`];
    assert.ok(Model, `${file}: unexpected kind ${object.apiVersion}/${object.kind}`);
    assert.doesNotThrow(() => new Model(object as never).validate(), `${file}: ${object.kind}/${object.metadata.name}`);
  }
});

test('the monitoring kustomization lists every file, in old-kustomize syntax, and is not part of the base', () => {
  const kustomization = parse(readFileSync(`${monitoringDir}${KUSTOMIZATION}`, 'utf8')) as Record<string, unknown>;
  for (const key of Object.keys(kustomization)) assert.ok(['apiVersion', 'kind', 'resources'].includes(key), `${key} is not old-kustomize syntax`);
  assert.deepEqual([...(kustomization.resources as string[])].sort(), monitoringFiles);
  // The base must install on clusters without the Prometheus Operator's CRDs.
  const base = parse(readFileSync(`${baseDir}${KUSTOMIZATION}`, 'utf8')) as { resources: string[] };
  assert.ok(!base.resources.some((r) => r.startsWith('monitoring')));
});

test('one PodMonitor per service selects its pods, scrapes the ops port and names the job parley-<service>', () => {
  const monitors = monitoringDocs.filter((d) => d.object.kind === 'PodMonitor').map((d) => d.object as unknown as IPodMonitor);
  for (const [service, deployment] of deployments) {
    const podLabels = deployment.spec?.template.metadata?.labels ?? {};
    const selecting = monitors.filter((m) => {
      const match = m.spec.selector.matchLabels ?? {};
      return Object.keys(match).length > 0 && Object.entries(match).every(([k, v]) => podLabels[k] === v);
    });
    assert.equal(selecting.length, 1, `${service}: ${selecting.length} PodMonitors select its pods`);
    const monitor = selecting[0]!;
    assert.equal(podLabels[monitor.spec.jobLabel ?? ''], `parley-${service}`, `${service}: jobLabel must yield job parley-${service}`);
    const ports = deployment.spec?.template.spec?.containers[0]?.ports ?? [];
    for (const endpoint of monitor.spec.podMetricsEndpoints ?? []) {
      assert.equal(endpoint.port, 'ops', `${service}: scrape the ops port`);
      assert.ok(ports.some((p) => p.name === endpoint.port), `${service}: container has no port ${endpoint.port}`);
      assert.equal(endpoint.path ?? '/metrics', '/metrics');
      assert.ok(endpoint.relabelings?.some((r) => r.targetLabel === 'instance'), `${service}: instance should be the pod name`);
    }
  }
});

test('dashboard ConfigMaps carry the sidecar label and the dashboards', () => {
  const configMaps = monitoringDocs.filter((d) => d.object.kind === 'ConfigMap').map((d) => d.object as Doc['object'] & { data: Record<string, string> });
  const carried = new Map(configMaps.flatMap((c) => Object.entries(c.data)));
  for (const c of configMaps) assert.deepEqual({ ...c.metadata.labels, ...SIDECAR_LABEL }, c.metadata.labels, `${c.metadata.name}: sidecar label`);
  for (const [name, dashboard] of DASHBOARDS) assert.equal(carried.get(`${name}.json`), dashboardJson(dashboard), `${name} not in a ConfigMap`);
  // kubectl apply (client side) stores the object in an annotation limited to 256 KiB.
  for (const c of configMaps) assert.ok(JSON.stringify(c).length < 200_000, `${c.metadata.name} is too large for kubectl apply`);
});

test('kustomize builds the monitoring directory', (t) => {
  const result = spawnSync('kubectl', ['kustomize', monitoringDir], { encoding: 'utf8' });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    t.skip('kubectl not installed');
    return;
  }
  assert.equal(result.status, 0, result.stderr);
  const built = parseAllDocuments(result.stdout).map((d) => d.toJS() as Doc['object']);
  const ids = (list: Doc['object'][]) => list.map((o) => `${o.kind}/${o.metadata.name}`).sort();
  assert.deepEqual(ids(built), ids(monitoringDocs.map((d) => d.object)));
});

interface ComposeService {
  command?: string | string[];
  environment?: Record<string, string>;
  volumes?: string[];
  profiles?: string[];
}

test('compose: Prometheus scrapes every parley process on its ops port as job parley-<service>', () => {
  const compose = parse(read('deploy/docker-compose.yml'), { merge: true }) as { services: Record<string, ComposeService> };
  const config = parse(read('deploy/prometheus/prometheus.yml')) as {
    rule_files: string[];
    scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
  };
  const jobs = new Map(config.scrape_configs.map((c) => [c.job_name, c.static_configs.flatMap((s) => s.targets).sort()]));
  for (const service of SERVICES) {
    const expected = Object.entries(compose.services)
      .filter(([, s]) => [s.command ?? []].flat().join(' ').includes(`dist/${service}/main.js`))
      .map(([name, s]) => `${name}:${s.environment?.OPS_PORT}`)
      .sort();
    assert.ok(expected.length > 0);
    assert.deepEqual(jobs.get(`parley-${service}`), expected, `job parley-${service}`);
  }
  assert.deepEqual(config.rule_files, ['parley-rules.yaml'], 'the rules file beside prometheus.yml');
  for (const name of ['prometheus', 'grafana']) {
    assert.deepEqual(compose.services[name]?.profiles, ['monitoring'], `${name} runs only with --profile monitoring`);
  }
  const volumes = compose.services.prometheus?.volumes ?? [];
  assert.ok(volumes.includes('./prometheus:/etc/parley-prometheus:ro'));
  assert.ok([compose.services.prometheus?.command ?? []].flat().includes('--config.file=/etc/parley-prometheus/prometheus.yml'));
});

test('compose: Grafana gets the provisioning and the rendered dashboards where the provider looks', () => {
  const compose = parse(read('deploy/docker-compose.yml'), { merge: true }) as { services: Record<string, ComposeService> };
  const provider = parse(read('deploy/grafana/provisioning/dashboards/parley.yaml')) as { providers: { options: { path: string } }[] };
  const mounts = new Map((compose.services.grafana?.volumes ?? []).map((v) => [v.split(':')[1], v.split(':')[0]]));
  assert.equal(mounts.get('/etc/grafana/provisioning'), './grafana/provisioning');
  assert.equal(mounts.get(provider.providers[0]!.options.path), './grafana/dashboards');
  const datasources = parse(read('deploy/grafana/provisioning/datasources/prometheus.yaml')) as { datasources: { type: string; url: string }[] };
  assert.deepEqual(datasources.datasources.map((d) => [d.type, d.url]), [['prometheus', 'http://prometheus:9090']]);
});
