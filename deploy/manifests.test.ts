/**
 * Checks the deployment files against the Kubernetes API schemas and against
 * the code they deploy. No cluster or Docker engine is needed: manifests are
 * validated with kubernetes-models, and the environment variables they set are
 * compared with the names the services' TypeBox config schemas actually read,
 * so a renamed or misspelt variable fails here instead of being silently
 * ignored (loadConfig never complains about unknown variables).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import * as k8sModels from 'kubernetes-models';
import type { IDeployment } from 'kubernetes-models/apps/v1';
import type { IConfigMap, IContainer, IPodSpec, IProbe, IService } from 'kubernetes-models/v1';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1';
import * as apiEntry from '../api/index.js';
import * as gatewayEntry from '../gateway/index.js';
import * as workerEntry from '../worker/index.js';

/** dist/deploy/ → repository root, so the test reads the YAML sources, not copies. */
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const deployDir = `${repoRoot}deploy/`;
const k8sDir = `${deployDir}k8s/`;

const SERVICES = ['api', 'gateway', 'worker'] as const;
type ServiceName = (typeof SERVICES)[number];

/**
 * Seconds each service's own shutdown may take after SIGTERM, beyond any
 * configurable drain: gateway/main.ts gives the drain 5 s more before it
 * exits; api/main.ts exits after 15 s at most.
 */
const GATEWAY_SHUTDOWN_MARGIN_S = 5;
const API_SHUTDOWN_DEADLINE_S = 15;

// ---------------------------------------------------------------------------
// What the services read: every `env` annotation in their config schemas.

interface Setting {
  readonly hasDefault: boolean;
  readonly default: unknown;
}

/**
 * Walks every exported value of a service's public entry (api/index.ts and
 * the like, which export its config schema) and collects the `env`
 * annotations of its schemas. Walking all exports rather than one named
 * schema keeps the test independent of how a service groups its slices.
 */
function envSettings(module: object): Map<string, Setting> {
  const out = new Map<string, Setting>();
  const seen = new Set<object>();
  const walk = (value: unknown): void => {
    if (typeof value !== 'object' || value === null || seen.has(value)) return;
    seen.add(value);
    const record = value as Record<string, unknown>;
    if (typeof record.env === 'string') {
      out.set(record.env, { hasDefault: 'default' in record, default: record.default });
    }
    for (const child of Object.values(record)) walk(child);
  };
  for (const exported of Object.values(module)) walk(exported);
  return out;
}

const settings: Record<ServiceName, Map<string, Setting>> = {
  api: envSettings(apiEntry),
  gateway: envSettings(gatewayEntry),
  worker: envSettings(workerEntry),
};

test('config schemas expose the env names this test relies on', () => {
  // Guards against the walk above silently finding nothing after a refactor.
  for (const service of SERVICES) {
    for (const name of ['REDIS_URL', 'DATABASE_URL', 'OPS_PORT', 'LOG_LEVEL']) {
      assert.ok(settings[service].has(name), `${service} config should read ${name}`);
    }
  }
  assert.ok(settings.api.has('AUTH_KEYS_FILE'));
  assert.ok(settings.gateway.has('AUTH_JWKS_URL'));
  assert.ok(settings.gateway.has('GATEWAY_DRAIN_TIMEOUT_MS'));
});

/** The value a service sees: explicit value, else the schema default. */
function effective(service: ServiceName, name: string, value: string | undefined): string {
  if (value !== undefined) return value;
  const setting = settings[service].get(name);
  assert.ok(setting?.hasDefault, `${service}: ${name} is neither set nor defaulted`);
  return String(setting.default);
}

// ---------------------------------------------------------------------------
// Kubernetes models: apiVersion/kind → model class.

interface ModelClass {
  readonly apiVersion: string;
  readonly kind: string;
  new (data: object): { validate(): void };
}

function isModelClass(value: unknown): value is ModelClass {
  if (typeof value !== 'function') return false;
  const statics = value as unknown as { apiVersion?: unknown; kind?: unknown };
  return typeof statics.apiVersion === 'string' && typeof statics.kind === 'string';
}

/** kubernetes-models has no lookup by apiVersion/kind; build one from the exported classes. */
function modelIndex(root: object): Map<string, ModelClass> {
  const index = new Map<string, ModelClass>();
  const seen = new Set<object>();
  const walk = (namespace: object): void => {
    if (seen.has(namespace)) return;
    seen.add(namespace);
    for (const value of Object.values(namespace)) {
      if (isModelClass(value)) index.set(`${value.apiVersion}/${value.kind}`, value);
      else if (typeof value === 'object' && value !== null) walk(value);
    }
  };
  walk(root);
  return index;
}

const models = modelIndex(k8sModels);

interface Manifest {
  readonly file: string;
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly object: Record<string, unknown>;
}

/** Parses every document of a YAML stream; fails on syntax errors, warnings and unknown kinds. */
function parseManifests(file: string, text: string): Manifest[] {
  const out: Manifest[] = [];
  for (const doc of parseAllDocuments(text)) {
    assert.deepEqual(doc.errors.map(String), [], `${file}: YAML errors`);
    assert.deepEqual(doc.warnings.map(String), [], `${file}: YAML warnings`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    assert.ok(typeof value === 'object' && !Array.isArray(value), `${file}: a document is not a mapping`);
    const object = value as Record<string, unknown>;
    const { apiVersion, kind } = object;
    const metadata = object.metadata as { name?: unknown } | undefined;
    assert.ok(typeof apiVersion === 'string' && typeof kind === 'string', `${file}: document without apiVersion/kind`);
    assert.ok(typeof metadata?.name === 'string', `${file}: ${kind} without metadata.name`);
    out.push({ file, apiVersion, kind, name: metadata.name, object });
  }
  return out;
}

function validate(manifest: Manifest): void {
  const Model = models.get(`${manifest.apiVersion}/${manifest.kind}`);
  assert.ok(Model, `${manifest.file}: unknown kind ${manifest.apiVersion}/${manifest.kind}`);
  assert.doesNotThrow(() => new Model(manifest.object).validate(), `${manifest.file}: ${manifest.kind}/${manifest.name}`);
}

const KUSTOMIZATION = 'kustomization.yaml';
const manifestFiles = readdirSync(k8sDir)
  .filter((f) => /\.ya?ml$/.test(f) && f !== KUSTOMIZATION)
  .sort();
const manifests = manifestFiles.flatMap((f) => parseManifests(f, readFileSync(`${k8sDir}${f}`, 'utf8')));

function ofKind<T>(kind: string): (T & { metadata: { name: string } })[] {
  return manifests.filter((m) => m.kind === kind).map((m) => m.object as T & { metadata: { name: string } });
}

const deployments = ofKind<IDeployment>('Deployment');
const k8sServices = ofKind<IService>('Service');
const configMaps = new Map(ofKind<IConfigMap>('ConfigMap').map((c) => [c.metadata.name, c.data ?? {}]));

test('every manifest is a known kind and valid against the Kubernetes schema', () => {
  assert.ok(manifests.length > 0);
  for (const manifest of manifests) validate(manifest);
});

test('kustomization lists exactly the manifests in deploy/k8s, in old-kustomize syntax', () => {
  const kustomization = parse(readFileSync(`${k8sDir}${KUSTOMIZATION}`, 'utf8')) as Record<string, unknown>;
  // kubectl 1.20's embedded kustomize understands these; `patches`, `labels`, components… it does not.
  const allowed = new Set(['apiVersion', 'kind', 'resources', 'patchesStrategicMerge']);
  for (const key of Object.keys(kustomization)) assert.ok(allowed.has(key), `${KUSTOMIZATION}: ${key} is not old-kustomize syntax`);
  assert.deepEqual([...(kustomization.resources as string[])].sort(), manifestFiles);
});

test('no secret material is committed', () => {
  for (const secret of manifests.filter((m) => m.kind === 'Secret')) {
    const { data, stringData } = secret.object as { data?: object; stringData?: object };
    assert.equal(Object.keys(data ?? {}).length + Object.keys(stringData ?? {}).length, 0, `Secret ${secret.name} holds data`);
  }
});

// ---------------------------------------------------------------------------
// Deployments.

interface Deployed {
  readonly service: ServiceName;
  readonly deployment: IDeployment & { metadata: { name: string } };
  readonly pod: IPodSpec;
  readonly container: IContainer;
  /** Every variable the container receives: envFrom ConfigMaps, overridden by env; undefined for valueFrom. */
  readonly env: Map<string, string | undefined>;
}

function serviceOf(command: readonly string[]): ServiceName {
  const joined = command.join(' ');
  const service = SERVICES.find((s) => joined.includes(`dist/${s}/main.js`));
  assert.ok(service, `command ${JSON.stringify(command)} runs no service's dist/<service>/main.js`);
  return service;
}

function containerEnv(container: IContainer): Map<string, string | undefined> {
  const env = new Map<string, string | undefined>();
  for (const source of container.envFrom ?? []) {
    // A Secret's keys (or a prefix) are invisible here, so they could not be checked.
    assert.ok(source.configMapRef && !source.secretRef && !source.prefix, `${container.name}: envFrom must be a plain configMapRef`);
    const data = configMaps.get(source.configMapRef.name ?? '');
    assert.ok(data, `${container.name}: envFrom references ConfigMap ${source.configMapRef.name}, which is not in deploy/k8s`);
    for (const [name, value] of Object.entries(data)) env.set(name, value);
  }
  // env entries take precedence over envFrom, as in Kubernetes.
  for (const variable of container.env ?? []) env.set(variable.name, variable.valueFrom ? undefined : variable.value);
  return env;
}

const deployed: Deployed[] = deployments.map((deployment) => {
  const pod = deployment.spec?.template.spec;
  assert.ok(pod, `${deployment.metadata.name}: no pod spec`);
  assert.equal(pod.containers.length, 1, `${deployment.metadata.name}: one container expected`);
  const container = pod.containers[0]!;
  return { service: serviceOf(container.command ?? []), deployment, pod, container, env: containerEnv(container) };
});

function deployedService(service: ServiceName): Deployed {
  const found = deployed.filter((d) => d.service === service);
  assert.equal(found.length, 1, `exactly one Deployment should run the ${service}`);
  return found[0]!;
}

function portNamed(container: IContainer, name: string): number {
  const port = container.ports?.find((p) => p.name === name);
  assert.ok(port, `${container.name}: no port named ${name}`);
  return port.containerPort;
}

/** A draining gateway waits for publishes in flight, then spreads its closes over a window. */
const drainMs = (env: ReadonlyMap<string, string | undefined>) =>
  Number(effective('gateway', 'GATEWAY_DRAIN_TIMEOUT_MS', env.get('GATEWAY_DRAIN_TIMEOUT_MS'))) +
  Number(effective('gateway', 'GATEWAY_DRAIN_SPREAD_MS', env.get('GATEWAY_DRAIN_SPREAD_MS')));

const drainSeconds = drainMs(deployedService('gateway').env) / 1000;

test('each service is deployed once, from one image, running its compiled entry point', () => {
  const images = new Set(deployed.map((d) => d.container.image));
  assert.equal(images.size, 1, `all services should share one image, found ${[...images].join(', ')}`);
  for (const service of SERVICES) {
    const { container } = deployedService(service);
    assert.deepEqual(container.command, ['node', `dist/${service}/main.js`]);
    assert.equal(container.args, undefined, `${service}: args would be appended to the command`);
    // The path the command names must exist in the build the image is made from.
    assert.ok(existsSync(fileURLToPath(new URL(`../${service}/main.js`, import.meta.url))), `dist/${service}/main.js not built`);
  }
  assert.equal(deployedService('api').deployment.spec?.replicas, 2);
  assert.ok((deployedService('gateway').deployment.spec?.replicas ?? 1) >= 2);
  assert.equal(deployedService('worker').deployment.spec?.replicas, 2);
});

test('every env var a manifest sets is one the receiving service reads', () => {
  for (const { service, env } of deployed) {
    for (const name of env.keys()) assert.ok(settings[service].has(name), `${service} does not read ${name}`);
  }
});

test('probes hit /healthz and /readyz on the named ops port the service listens on', () => {
  for (const { service, container, deployment, env } of deployed) {
    const opsPort = portNamed(container, 'ops');
    assert.equal(String(opsPort), effective(service, 'OPS_PORT', env.get('OPS_PORT')), `${service}: ops containerPort ≠ OPS_PORT`);
    const probes: [string, string, IProbe | undefined][] = [
      ['livenessProbe', '/healthz', container.livenessProbe],
      ['readinessProbe', '/readyz', container.readinessProbe],
    ];
    // Optional, but when present it must not hit the public port.
    if (container.startupProbe) probes.push(['startupProbe', '/healthz', container.startupProbe]);
    for (const [kind, path, probe] of probes) {
      assert.ok(probe?.httpGet, `${service}: ${kind} must be an httpGet probe`);
      assert.equal(probe.httpGet.path, path, `${service}: ${kind} path`);
      assert.equal(probe.httpGet.port, 'ops', `${service}: ${kind} must use the named port "ops"`);
    }
    const annotations = deployment.spec?.template.metadata?.annotations ?? {};
    assert.equal(annotations['prometheus.io/scrape'], 'true', `${service}: not scraped`);
    assert.equal(annotations['prometheus.io/port'], String(opsPort), `${service}: scrape port ≠ ops port`);
  }
});

test('public ports match what the services listen on', () => {
  const api = deployedService('api');
  assert.equal(String(portNamed(api.container, 'http')), effective('api', 'API_PORT', api.env.get('API_PORT')));
  const gateway = deployedService('gateway');
  assert.equal(String(portNamed(gateway.container, 'ws')), effective('gateway', 'GATEWAY_PORT', gateway.env.get('GATEWAY_PORT')));
});

function preStopSleepSeconds(container: IContainer): number {
  const command = container.lifecycle?.preStop?.exec?.command;
  if (!command) return 0;
  assert.equal(command[0], 'sleep', `${container.name}: preStop should be a sleep`);
  return Number(command[1]);
}

test('termination grace covers preStop, drain and each service’s own shutdown', () => {
  for (const { service, pod, container } of deployed) {
    const grace = pod.terminationGracePeriodSeconds ?? 30;
    assert.ok(grace > drainSeconds, `${service}: terminationGracePeriodSeconds ${grace} ≤ drain ${drainSeconds}s`);
    const preStop = preStopSleepSeconds(container);
    const needed =
      service === 'gateway'
        ? preStop + drainSeconds + GATEWAY_SHUTDOWN_MARGIN_S
        : service === 'api'
          ? preStop + API_SHUTDOWN_DEADLINE_S
          : 0;
    assert.ok(grace > needed, `${service}: terminationGracePeriodSeconds ${grace} ≤ ${needed}s of shutdown`);
  }
  // Behind a Service, the endpoint must go before the process stops accepting.
  for (const service of ['api', 'gateway'] as const) {
    assert.ok(preStopSleepSeconds(deployedService(service).container) > 0, `${service}: needs a preStop sleep`);
  }
});

test('containers run as non-root with a read-only root, no privilege escalation and no capabilities', () => {
  for (const { service, pod, container } of deployed) {
    const runAsNonRoot = container.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot;
    const runAsUser = container.securityContext?.runAsUser ?? pod.securityContext?.runAsUser;
    assert.equal(runAsNonRoot, true, `${service}: runAsNonRoot`);
    // The image names its user (`node`); Kubernetes can verify only a numeric one.
    assert.ok(runAsUser !== undefined && runAsUser !== 0, `${service}: runAsUser must be a non-zero uid`);
    assert.equal(container.securityContext?.allowPrivilegeEscalation, false, `${service}: allowPrivilegeEscalation`);
    assert.equal(container.securityContext?.readOnlyRootFilesystem, true, `${service}: readOnlyRootFilesystem`);
    assert.ok(container.securityContext?.capabilities?.drop?.includes('ALL'), `${service}: capabilities must drop ALL`);
    for (const kind of ['requests', 'limits'] as const) {
      for (const resource of ['cpu', 'memory']) {
        assert.ok(container.resources?.[kind]?.[resource] !== undefined, `${service}: resources.${kind}.${resource}`);
      }
    }
  }
});

function selects(selector: Record<string, string> | undefined, d: Deployed): boolean {
  const labels = d.deployment.spec?.template.metadata?.labels ?? {};
  return selector !== undefined && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
}

test('Services and PodDisruptionBudgets select the pods they are meant for', () => {
  for (const svc of k8sServices) {
    const targets = deployed.filter((d) => selects(svc.spec?.selector, d));
    assert.equal(targets.length, 1, `Service ${svc.metadata.name} should select one Deployment`);
    for (const port of svc.spec?.ports ?? []) {
      assert.equal(typeof port.targetPort, 'string', `Service ${svc.metadata.name}: use named targetPorts`);
      portNamed(targets[0]!.container, String(port.targetPort));
    }
  }
  for (const service of ['api', 'gateway'] as const) {
    assert.ok(k8sServices.some((s) => selects(s.spec?.selector, deployedService(service))), `no Service for the ${service}`);
  }
  const gateway = deployedService('gateway');
  const budgets = ofKind<IPodDisruptionBudget>('PodDisruptionBudget').filter((p) => selects(p.spec?.selector?.matchLabels, gateway));
  assert.equal(budgets.length, 1, 'the gateway needs one PodDisruptionBudget');
  const { minAvailable, maxUnavailable } = budgets[0]!.spec ?? {};
  assert.ok(minAvailable !== undefined || maxUnavailable !== undefined);
  if (typeof minAvailable === 'number') {
    // Otherwise no node could ever be drained.
    assert.ok(minAvailable < (gateway.deployment.spec?.replicas ?? 1));
  }
});

test('the gateway fetches keys from the api Service, and the api reads the key Secret it mounts', () => {
  const gateway = deployedService('gateway');
  const api = deployedService('api');
  const jwks = new URL(effective('gateway', 'AUTH_JWKS_URL', gateway.env.get('AUTH_JWKS_URL')));
  assert.equal(jwks.pathname, '/.well-known/jwks.json');
  const apiService = k8sServices.find((s) => s.metadata.name === jwks.hostname);
  assert.ok(apiService && selects(apiService.spec?.selector, api), `AUTH_JWKS_URL host ${jwks.hostname} is not the api's Service`);
  assert.ok(apiService.spec?.ports?.some((p) => String(p.port) === jwks.port), `api Service has no port ${jwks.port}`);

  const keysFile = api.env.get('AUTH_KEYS_FILE');
  assert.ok(keysFile, 'AUTH_KEYS_FILE must be set literally');
  const mount = api.container.volumeMounts?.find((m) => keysFile.startsWith(`${m.mountPath}/`));
  assert.ok(mount, `AUTH_KEYS_FILE ${keysFile} is not on a mounted volume`);
  const volume = api.pod.volumes?.find((v) => v.name === mount.name);
  // deploy/README.md creates it with `kubectl create secret generic parley-auth-keys --from-file=jwks.json`.
  assert.equal(volume?.secret?.secretName, 'parley-auth-keys');
  const item = volume.secret.items?.find((i) => `${mount.mountPath}/${i.path}` === keysFile);
  assert.equal(item?.key, 'jwks.json', 'the key file must come from the Secret key jwks.json');
});

test('deploy/README.md explains how to create every Secret the manifests reference', () => {
  const readme = readFileSync(`${deployDir}README.md`, 'utf8');
  const secrets = new Set<string>();
  for (const { pod, container } of deployed) {
    for (const v of pod.volumes ?? []) if (v.secret?.secretName) secrets.add(v.secret.secretName);
    for (const e of container.env ?? []) if (e.valueFrom?.secretKeyRef?.name) secrets.add(e.valueFrom.secretKeyRef.name);
  }
  assert.ok(secrets.size > 0);
  for (const name of secrets) assert.ok(readme.includes(`kubectl create secret generic ${name}`), `README: how to create ${name}`);
});

// ---------------------------------------------------------------------------
// docker-compose.yml

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  volumes?: (string | { source?: string; target?: string })[];
  stop_grace_period?: string;
  healthcheck?: { test?: unknown };
  depends_on?: unknown;
}

const composeFile = `${deployDir}docker-compose.yml`;
// Merge keys (`<<:`) are YAML 1.1, which docker-compose supports; the yaml package needs them enabled.
const compose = parse(readFileSync(composeFile, 'utf8'), { merge: true }) as { services: Record<string, ComposeService> };

function composeEnv(service: ComposeService): Map<string, string | undefined> {
  const env = new Map<string, string | undefined>();
  const { environment } = service;
  if (Array.isArray(environment)) {
    for (const entry of environment) {
      const at = entry.indexOf('=');
      env.set(at < 0 ? entry : entry.slice(0, at), at < 0 ? undefined : entry.slice(at + 1));
    }
  } else {
    for (const [name, value] of Object.entries(environment ?? {})) env.set(name, value === null ? undefined : String(value));
  }
  return env;
}

const commandText = (service: ComposeService): string =>
  Array.isArray(service.command) ? service.command.join(' ') : (service.command ?? '');

/** Compose services running the parley image, by the parley service they run (keygen runs none). */
const composeParley = Object.entries(compose.services)
  .filter(([, s]) => s.build !== undefined || commandText(s).includes('dist/'))
  .map(([name, s]) => ({ name, spec: s, service: SERVICES.find((x) => commandText(s).includes(`dist/${x}/main.js`)) }));

function durationSeconds(text: string | undefined): number {
  const match = /^(\d+)(ms|s|m)$/.exec(text ?? '');
  assert.ok(match, `unparsable duration ${text}`);
  return Number(match[1]) * { ms: 0.001, s: 1, m: 60 }[match[2] as 'ms' | 's' | 'm'];
}

test('compose: every env var set on a parley service is one that service reads', () => {
  for (const service of SERVICES) {
    assert.ok(composeParley.some((c) => c.service === service), `compose runs no ${service}`);
  }
  assert.ok(composeParley.filter((c) => c.service === 'gateway').length >= 2, 'compose should run two gateways');
  for (const { name, spec, service } of composeParley) {
    const env = composeEnv(spec);
    if (service === undefined) {
      assert.match(commandText(spec), /dist\/api\/keygen\.js/, `${name} runs neither a service nor keygen`);
      assert.equal(env.size, 0, `${name}: keygen reads no configuration`);
      continue;
    }
    for (const variable of env.keys()) assert.ok(settings[service].has(variable), `compose ${name}: ${service} does not read ${variable}`);
  }
});

test('compose: wiring between keygen, api and gateways', () => {
  const byService = (s: ServiceName) => composeParley.filter((c) => c.service === s);
  const [api] = byService('api');
  assert.ok(api);
  const apiEnv = composeEnv(api.spec);
  const keysFile = apiEnv.get('AUTH_KEYS_FILE');
  assert.ok(keysFile, 'compose api needs AUTH_KEYS_FILE');
  const keygen = composeParley.find((c) => c.service === undefined);
  assert.ok(keygen && commandText(keygen.spec).includes(`> ${keysFile}`), 'keygen must write the file the api reads');
  const volumeOf = (s: ComposeService) =>
    (s.volumes ?? []).map((v) => (typeof v === 'string' ? v.split(':').slice(0, 2) : [v.source, v.target])).find(([, target]) => target !== undefined && keysFile.startsWith(`${target}/`))?.[0];
  const apiVolume = volumeOf(api.spec);
  assert.ok(apiVolume !== undefined && apiVolume === volumeOf(keygen.spec), 'api and keygen must share the key volume');

  const apiPort = effective('api', 'API_PORT', apiEnv.get('API_PORT'));
  for (const gateway of byService('gateway')) {
    const env = composeEnv(gateway.spec);
    const jwks = new URL(effective('gateway', 'AUTH_JWKS_URL', env.get('AUTH_JWKS_URL')));
    assert.equal(jwks.hostname, api.name, `${gateway.name}: AUTH_JWKS_URL must name the api service`);
    assert.equal(jwks.port, apiPort);
    const drain = drainMs(env) / 1000;
    assert.ok(durationSeconds(gateway.spec.stop_grace_period) > drain + GATEWAY_SHUTDOWN_MARGIN_S, `${gateway.name}: stop_grace_period too short to drain`);
  }
  assert.ok(compose.services.postgres?.healthcheck?.test, 'postgres needs a healthcheck');
  // An acked message must survive a Redis restart: AOF on a volume, and nothing evicted.
  const redis = compose.services.redis!;
  const args = [redis.command ?? []].flat().join(' ');
  assert.match(args, /--appendonly yes/);
  assert.match(args, /--appendfsync (everysec|always)/);
  assert.match(args, /--maxmemory-policy noeviction/);
  assert.ok((redis.volumes ?? []).some((v) => (typeof v === 'string' ? v.endsWith(':/data') : v.target === '/data')), 'redis keeps /data on a volume');
});

test('compose: docker-compose accepts the file', (t) => {
  const result = spawnSync('docker-compose', ['-f', composeFile, 'config', '-q'], { cwd: repoRoot, encoding: 'utf8' });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    t.skip('docker-compose not installed');
    return;
  }
  assert.equal(result.status, 0, result.stderr);
});

test('kustomize builds the base into the same valid objects', (t) => {
  const result = spawnSync('kubectl', ['kustomize', k8sDir], { encoding: 'utf8' });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    t.skip('kubectl not installed');
    return;
  }
  assert.equal(result.status, 0, result.stderr);
  const built = parseManifests('kubectl kustomize output', result.stdout);
  for (const manifest of built) validate(manifest);
  const ids = (list: Manifest[]) => list.map((m) => `${m.kind}/${m.name}`).sort();
  assert.deepEqual(ids(built), ids(manifests));
});
