/**
 * Checks the deployment files against the Kubernetes API schemas and against
 * the code they deploy. No cluster or Docker engine is needed.
 *
 * Kubernetes: the base (deploy/k8s/base, as files) and every overlay (as
 * `kubectl kustomize` renders it; skipped when kubectl is missing) are each a
 * configuration. Every object of each is validated with kubernetes-models
 * (KEDA and Prometheus Operator models included), and the same checks run on
 * all of them: the environment variables they set are compared with the
 * names the programs' TypeBox config schemas actually read, so a renamed or
 * misspelt variable fails here instead of being silently ignored
 * (loadConfig never complains about unknown variables); then migrations,
 * probes, ports, security, disruption budgets, topology spread,
 * autoscaling, uploads storage, network policies and ingress routing.
 *
 * docker-compose.yml: the same env check, the wiring between services, and
 * the load balancer in front of the gateways (haproxy/haproxy.cfg).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { IDeployment, IStatefulSet } from 'kubernetes-models/apps/v1';
import type { IConfigMap, IContainer, IPersistentVolumeClaim, IPodSpec, IProbe, IService } from 'kubernetes-models/v1';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import type { IJob } from 'kubernetes-models/batch/v1';
import type { IIngress, INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import type { IScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import * as apiEntry from '../api/index.js';
import * as gatewayEntry from '../gateway/index.js';
import * as workerEntry from '../worker/index.js';
import { MigrateCliConfig } from '../shared/db/migrate-cli.js';
import { SOCKETIO_PATH } from '../shared/protocol/socketio.js';
import { selectableSeries } from './monitoring/catalog.js';
import { selectorsOf } from './monitoring/promql.js';
import {
  allContainers,
  kustomize,
  matches,
  nginxBytes,
  ofKind,
  parseManifests,
  validate,
  workloads,
  type Manifest,
  type Named,
  type Workload,
} from './k8s-manifests.js';
import { directives, haproxySeconds, lastValue, parseHaproxy, sectionNamed, sectionsOf, withDefaults } from './haproxy-config.js';

/** dist/deploy/ → repository root, so the test reads the YAML sources, not copies. */
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const deployDir = `${repoRoot}deploy/`;
const k8sDir = `${deployDir}k8s/`;
const baseDir = `${k8sDir}base/`;
const overlaysDir = `${k8sDir}overlays/`;

const SERVICES = ['api', 'gateway', 'worker'] as const;
type ServiceName = (typeof SERVICES)[number];
/** What a parley container runs: a service, or the migration CLI (Job and init containers). */
type Program = ServiceName | 'migrate';

const MIGRATE_CLI = 'dist/shared/db/migrate-cli.js';

/**
 * Seconds each service's own shutdown may take after SIGTERM, beyond any
 * configurable drain: gateway/main.ts gives the drain 5 s more before it
 * exits; api/main.ts exits after 15 s at most.
 */
const GATEWAY_SHUTDOWN_MARGIN_S = 5;
const API_SHUTDOWN_DEADLINE_S = 15;

// ---------------------------------------------------------------------------
// What the programs read: every `env` annotation in their config schemas.

interface Setting {
  readonly hasDefault: boolean;
  readonly default: unknown;
}

/**
 * Walks every exported value of a program's public entry (api/index.ts and
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

const settings: Record<Program, Map<string, Setting>> = {
  api: envSettings(apiEntry),
  gateway: envSettings(gatewayEntry),
  worker: envSettings(workerEntry),
  migrate: envSettings({ MigrateCliConfig }),
};

test('config schemas expose the env names this test relies on', () => {
  // Guards against the walk above silently finding nothing after a refactor.
  for (const service of SERVICES) {
    for (const name of ['REDIS_URL', 'DATABASE_URL', 'DATABASE_MIGRATE', 'OPS_PORT', 'OPS_HOST', 'LOG_LEVEL']) {
      assert.ok(settings[service].has(name), `${service} config should read ${name}`);
    }
  }
  assert.ok(settings.api.has('AUTH_KEYS_FILE'));
  assert.ok(settings.api.has('API_HOST') && settings.api.has('UPLOADS_STORE') && settings.api.has('API_TRUST_PROXY'));
  assert.ok(settings.gateway.has('AUTH_JWKS_URL') && settings.gateway.has('GATEWAY_HOST'));
  assert.ok(settings.gateway.has('GATEWAY_DRAIN_TIMEOUT_MS'));
  assert.deepEqual([...settings.migrate.keys()].filter((n) => n === 'DATABASE_URL' || n === 'REDIS_URL'), ['DATABASE_URL']);
});

/** The value a program sees: explicit value, else the schema default. */
function effective(program: Program, name: string, value: string | undefined): string {
  if (value !== undefined) return value;
  const setting = settings[program].get(name);
  assert.ok(setting?.hasDefault, `${program}: ${name} is neither set nor defaulted`);
  return String(setting.default);
}

/** A draining gateway waits for publishes in flight, then spreads its closes over a window. */
const drainMs = (env: ReadonlyMap<string, string | undefined>) =>
  Number(effective('gateway', 'GATEWAY_DRAIN_TIMEOUT_MS', env.get('GATEWAY_DRAIN_TIMEOUT_MS'))) +
  Number(effective('gateway', 'GATEWAY_DRAIN_SPREAD_MS', env.get('GATEWAY_DRAIN_SPREAD_MS')));

/**
 * The path of the gateway's Socket.IO endpoint: GATEWAY_SOCKETIO_PATH once
 * the gateway's config reads it, else the protocol's default. (Setting the
 * variable in a manifest before then fails the env checks, so the default
 * cannot hide a value.)
 */
const socketioPath = (env: ReadonlyMap<string, string | undefined>) =>
  settings.gateway.has('GATEWAY_SOCKETIO_PATH') ? effective('gateway', 'GATEWAY_SOCKETIO_PATH', env.get('GATEWAY_SOCKETIO_PATH')) : SOCKETIO_PATH;

/**
 * Engine.IO's default pingInterval: the longest a long-poll waits for a
 * packet, since the server sends a ping by then. Proxy timeouts on the
 * Socket.IO path must exceed it.
 */
const ENGINE_IO_PING_INTERVAL_S = 25;

// ---------------------------------------------------------------------------
// Kustomizations: old-kustomize syntax, and every file accounted for.

const KUSTOMIZATION = 'kustomization.yaml';
/** kubectl 1.20's embedded kustomize understands these; `patches`, `labels`, `components`… it does not. */
const OLD_KUSTOMIZE_KEYS = new Set(['apiVersion', 'kind', 'resources', 'bases', 'patchesStrategicMerge', 'configMapGenerator']);

interface Kustomization {
  resources?: string[];
  bases?: string[];
  patchesStrategicMerge?: string[];
  configMapGenerator?: { name: string; files?: string[] }[];
}

function readKustomization(dir: string): Kustomization {
  return parse(readFileSync(`${dir}${KUSTOMIZATION}`, 'utf8')) as Kustomization;
}

const OVERLAYS = readdirSync(overlaysDir).filter((d) => statSync(`${overlaysDir}${d}`).isDirectory()).sort();

test('the overlays are the documented ones', () => {
  assert.deepEqual(OVERLAYS, ['dev', 'ingress', 'prod', 'redis-cluster', 'uploads-rwx']);
});

test('every kustomization uses old-kustomize syntax and accounts for every file beside it', () => {
  for (const dir of [baseDir, ...OVERLAYS.map((o) => `${overlaysDir}${o}/`)]) {
    const label = dir.slice(k8sDir.length);
    const kustomization = readKustomization(dir);
    for (const key of Object.keys(kustomization)) assert.ok(OLD_KUSTOMIZE_KEYS.has(key), `${label}${KUSTOMIZATION}: ${key} is not old-kustomize syntax`);
    // Old kustomize takes only files under `resources` and directories under `bases`.
    for (const file of kustomization.resources ?? []) assert.ok(statSync(`${dir}${file}`).isFile(), `${label}${file}: resources must be files`);
    for (const base of kustomization.bases ?? []) assert.ok(statSync(`${dir}${base}`).isDirectory(), `${label}${base}: bases must be directories`);
    const used = [
      ...(kustomization.resources ?? []),
      ...(kustomization.patchesStrategicMerge ?? []),
      ...(kustomization.configMapGenerator ?? []).flatMap((g) => g.files ?? []),
    ].sort();
    const present = readdirSync(dir).filter((f) => f !== KUSTOMIZATION && statSync(`${dir}${f}`).isFile()).sort();
    assert.deepEqual(used, present, `${label}: files not listed in ${KUSTOMIZATION}, or listed and missing`);
  }
});

// ---------------------------------------------------------------------------
// The configurations: the base as files, each overlay as kustomize renders it.

const baseManifests = (readKustomization(baseDir).resources ?? []).flatMap((f) => parseManifests(`base/${f}`, readFileSync(`${baseDir}${f}`, 'utf8')));

/** Overlay resource files (not patches) are complete objects too: validated as files as well. */
test('every manifest file of the base and every overlay resource file is valid against its schema', () => {
  assert.ok(baseManifests.length > 0);
  for (const manifest of baseManifests) validate(manifest);
  for (const overlay of OVERLAYS) {
    const dir = `${overlaysDir}${overlay}/`;
    for (const file of readKustomization(dir).resources ?? []) {
      for (const manifest of parseManifests(`${overlay}/${file}`, readFileSync(`${dir}${file}`, 'utf8'))) validate(manifest);
    }
  }
});

const renderedBase = kustomize(baseDir, 'base');

test('kustomize builds the base into the objects of its files', (t) => {
  if (typeof renderedBase === 'string') return t.skip(renderedBase);
  const ids = (list: readonly Manifest[]) => list.map((m) => `${m.kind}/${m.name}`).sort();
  assert.deepEqual(ids(renderedBase), ids(baseManifests));
});

interface Deployed {
  readonly service: ServiceName;
  readonly deployment: Named<IDeployment>;
  readonly pod: IPodSpec;
  readonly container: IContainer;
  /** Every variable the container receives: envFrom ConfigMaps, overridden by env; undefined for valueFrom. */
  readonly env: Map<string, string | undefined>;
}

interface Config {
  readonly name: string;
  readonly manifests: readonly Manifest[];
  readonly workloads: readonly Workload[];
  readonly deployed: readonly Deployed[];
  readonly configMaps: ReadonlyMap<string, Record<string, string>>;
  readonly services: readonly Named<IService>[];
  /** Whether operators apply it as is: every overlay, not the base. */
  readonly applied: boolean;
}

function programOf(command: readonly string[] | undefined): Program | undefined {
  const joined = (command ?? []).join(' ');
  if (joined.includes(MIGRATE_CLI)) return 'migrate';
  return SERVICES.find((s) => joined.includes(`dist/${s}/main.js`));
}

function containerEnv(config: Pick<Config, 'configMaps'>, container: IContainer): Map<string, string | undefined> {
  const env = new Map<string, string | undefined>();
  for (const source of container.envFrom ?? []) {
    // A Secret's keys (or a prefix) are invisible here, so they could not be checked.
    assert.ok(source.configMapRef && !source.secretRef && !source.prefix, `${container.name}: envFrom must be a plain configMapRef`);
    const data = config.configMaps.get(source.configMapRef.name ?? '');
    assert.ok(data, `${container.name}: envFrom references ConfigMap ${source.configMapRef.name}, which is not in the configuration`);
    for (const [name, value] of Object.entries(data)) env.set(name, value);
  }
  // env entries take precedence over envFrom, as in Kubernetes.
  for (const variable of container.env ?? []) env.set(variable.name, variable.valueFrom ? undefined : variable.value);
  return env;
}

function configOf(name: string, manifests: readonly Manifest[], applied: boolean): Config {
  const configMaps = new Map(ofKind<IConfigMap>(manifests, 'ConfigMap').map((c) => [c.metadata.name, c.data ?? {}]));
  const deployed = ofKind<IDeployment>(manifests, 'Deployment').map((deployment) => {
    const pod = deployment.spec?.template.spec;
    assert.ok(pod, `${deployment.metadata.name}: no pod spec`);
    assert.equal(pod.containers.length, 1, `${deployment.metadata.name}: one container expected`);
    const container = pod.containers[0]!;
    const service = programOf(container.command);
    assert.ok(service && service !== 'migrate', `${deployment.metadata.name}: runs no service's dist/<service>/main.js`);
    return { service, deployment, pod, container, env: containerEnv({ configMaps }, container) };
  });
  return { name, manifests, workloads: workloads(manifests), deployed, configMaps, services: ofKind<IService>(manifests, 'Service'), applied };
}

/** Rendered objects; a string: why they could not be rendered here (skip); an Error: kustomize failed (fail). */
type Source = readonly Manifest[] | string | Error;

function render(overlay: string): Source {
  try {
    return kustomize(`${overlaysDir}${overlay}`, `overlays/${overlay}`);
  } catch (err) {
    return err as Error;
  }
}

const sources: [string, Source, boolean][] = [['base', baseManifests, false], ...OVERLAYS.map((o): [string, Source, boolean] => [o, render(o), true])];

/** Registers one test per configuration; those kustomize could not render are skipped with the reason. */
function eachConfig(title: string, check: (config: Config) => void | Promise<void>): void {
  for (const [name, source, applied] of sources) {
    test(`${name}: ${title}`, async (t) => {
      if (typeof source === 'string') return t.skip(source);
      if (source instanceof Error) throw source;
      await check(configOf(name, source, applied));
    });
  }
}

function deployedService(config: Config, service: ServiceName): Deployed {
  const found = config.deployed.filter((d) => d.service === service);
  assert.equal(found.length, 1, `${config.name}: exactly one Deployment should run the ${service}`);
  return found[0]!;
}

function portNamed(container: IContainer, name: string): number {
  const port = container.ports?.find((p) => p.name === name);
  assert.ok(port, `${container.name}: no port named ${name}`);
  return port.containerPort;
}

/** Per configuration: which kinds it must hold, and how many (kinds not listed may occur any number of times). */
const EXPECTED_KINDS: Record<string, Record<string, number>> = {
  base: { Deployment: 3, Job: 1, PodDisruptionBudget: 3, NetworkPolicy: 4, Service: 2, HorizontalPodAutoscaler: 0, ScaledObject: 0, Ingress: 0 },
  dev: { Deployment: 3, Job: 1, StatefulSet: 2, PodDisruptionBudget: 3, NetworkPolicy: 6, PersistentVolumeClaim: 1, ScaledObject: 0 },
  prod: { Deployment: 3, Job: 1, StatefulSet: 0, HorizontalPodAutoscaler: 1, ScaledObject: 2, PersistentVolumeClaim: 0, Ingress: 0 },
  'uploads-rwx': { HorizontalPodAutoscaler: 1, ScaledObject: 2, PersistentVolumeClaim: 1 },
  'redis-cluster': { Deployment: 3, Job: 1, StatefulSet: 0, HorizontalPodAutoscaler: 1, ScaledObject: 2 },
  ingress: { HorizontalPodAutoscaler: 1, ScaledObject: 2, Ingress: 4 },
};

eachConfig('every object is a known kind, valid against its schema, and the expected kinds are there', (config) => {
  for (const manifest of config.manifests) validate(manifest);
  for (const [kind, count] of Object.entries(EXPECTED_KINDS[config.name] ?? {})) {
    assert.equal(config.manifests.filter((m) => m.kind === kind).length, count, `${config.name}: ${count} × ${kind} expected`);
  }
});

eachConfig('each service is given exactly one Redis topology (the redis-cluster overlay: REDIS_CLUSTER_NODES)', (config) => {
  const FORMS = ['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'];
  for (const service of SERVICES) {
    const deployed = deployedService(config, service);
    const forms = FORMS.filter((name) => deployed.env.has(name));
    assert.deepEqual(forms, [config.name === 'redis-cluster' ? 'REDIS_CLUSTER_NODES' : 'REDIS_URL'], `${config.name}: ${service}`);
  }
});

eachConfig('no secret material is committed', (config) => {
  for (const secret of config.manifests.filter((m) => m.kind === 'Secret')) {
    const { data, stringData } = secret.object as { data?: object; stringData?: object };
    assert.equal(Object.keys(data ?? {}).length + Object.keys(stringData ?? {}).length, 0, `Secret ${secret.name} holds data`);
  }
});

/** Containers that run the parley image, with the program each runs. */
function parleyContainers(config: Config): { workload: Workload; container: IContainer; program: Program }[] {
  return config.workloads.flatMap((workload) =>
    allContainers(workload.pod).flatMap((container) => {
      const program = programOf(container.command);
      return program === undefined ? [] : [{ workload, container, program }];
    }),
  );
}

eachConfig('each service is deployed once, all parley containers share one image and run a built entry point', (config) => {
  const images = new Set(parleyContainers(config).map((c) => c.container.image));
  assert.equal(images.size, 1, `all parley containers should share one image, found ${[...images].join(', ')}`);
  for (const service of SERVICES) {
    const { container } = deployedService(config, service);
    assert.deepEqual(container.command, ['node', `dist/${service}/main.js`]);
    assert.equal(container.args, undefined, `${service}: args would be appended to the command`);
    // The path the command names must exist in the build the image is made from.
    assert.ok(existsSync(fileURLToPath(new URL(`../${service}/main.js`, import.meta.url))), `dist/${service}/main.js not built`);
  }
  assert.ok(existsSync(fileURLToPath(new URL('../shared/db/migrate-cli.js', import.meta.url))), `${MIGRATE_CLI} not built`);
  // Workloads that are not parley's (the dev overlay's Redis and Postgres) run no parley program.
  for (const workload of config.workloads) {
    const programs = allContainers(workload.pod).map((c) => programOf(c.command));
    assert.ok(programs.every((p) => p !== undefined) || programs.every((p) => p === undefined), `${workload.name}: mixes parley and other containers`);
  }
});

eachConfig('every env var a manifest sets on a parley container is one its program reads', (config) => {
  for (const { workload, container, program } of parleyContainers(config)) {
    for (const name of containerEnv(config, container).keys()) {
      assert.ok(settings[program].has(name), `${workload.name}/${container.name}: ${program} does not read ${name}`);
    }
  }
});

function secretRefOf(container: IContainer, variable: string): string | undefined {
  return container.env?.find((e) => e.name === variable)?.valueFrom?.secretKeyRef?.name;
}

eachConfig('a Job migrates with its own Secret; the services run with migrations off and wait for the schema', (config) => {
  const migrations = parleyContainers(config).filter((c) => c.program === 'migrate');
  const jobs = migrations.filter((c) => c.workload.kind === 'Job');
  assert.equal(jobs.length, 1, 'one Job runs the migrations');
  const job = jobs[0]!;
  assert.deepEqual(job.container.command, ['node', MIGRATE_CLI, 'up']);
  const jobSpec = (job.workload.object as unknown as IJob).spec;
  assert.equal(job.workload.pod.restartPolicy, 'Never', 'a failed migration pod stays for its logs');
  assert.ok(jobSpec?.backoffLimit !== undefined && jobSpec.ttlSecondsAfterFinished !== undefined, 'backoffLimit and ttlSecondsAfterFinished');
  const migratorSecret = secretRefOf(job.container, 'DATABASE_URL');
  assert.ok(migratorSecret, 'the Job reads DATABASE_URL from a Secret');
  for (const { service, deployment, pod, container, env } of config.deployed) {
    assert.equal(effective(service, 'DATABASE_MIGRATE', env.get('DATABASE_MIGRATE')), 'false', `${service} must not migrate`);
    const runtimeSecret = secretRefOf(container, 'DATABASE_URL');
    assert.ok(runtimeSecret && runtimeSecret !== migratorSecret, `${service}: the runtime role's Secret must not be the migrator's (${migratorSecret})`);
    const waits = (pod.initContainers ?? []).filter((c) => programOf(c.command) === 'migrate');
    assert.equal(waits.length, 1, `${deployment.metadata.name}: one init container waits for the schema`);
    assert.deepEqual(waits[0]!.command, ['node', MIGRATE_CLI, 'wait']);
    assert.equal(secretRefOf(waits[0]!, 'DATABASE_URL'), runtimeSecret, `${service}: waits with the role it runs with`);
  }
});

eachConfig('probes hit /healthz and /readyz on the named ops port the service listens on, on every address', (config) => {
  for (const { service, container, deployment, env } of config.deployed) {
    const opsPort = portNamed(container, 'ops');
    assert.equal(String(opsPort), effective(service, 'OPS_PORT', env.get('OPS_PORT')), `${service}: ops containerPort ≠ OPS_PORT`);
    assert.equal(effective(service, 'OPS_HOST', env.get('OPS_HOST')), '0.0.0.0', `${service}: the kubelet probes the pod IP`);
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

eachConfig('public ports match what the services listen on, on every address', (config) => {
  const api = deployedService(config, 'api');
  assert.equal(String(portNamed(api.container, 'http')), effective('api', 'API_PORT', api.env.get('API_PORT')));
  assert.equal(effective('api', 'API_HOST', api.env.get('API_HOST')), '0.0.0.0');
  const gateway = deployedService(config, 'gateway');
  assert.equal(String(portNamed(gateway.container, 'ws')), effective('gateway', 'GATEWAY_PORT', gateway.env.get('GATEWAY_PORT')));
  assert.equal(effective('gateway', 'GATEWAY_HOST', gateway.env.get('GATEWAY_HOST')), '0.0.0.0');
});

function preStopSleepSeconds(container: IContainer): number {
  const command = container.lifecycle?.preStop?.exec?.command;
  if (!command) return 0;
  assert.equal(command[0], 'sleep', `${container.name}: preStop should be a sleep`);
  return Number(command[1]);
}

eachConfig('termination grace covers preStop, drain and each service’s own shutdown', (config) => {
  const drainSeconds = drainMs(deployedService(config, 'gateway').env) / 1000;
  for (const { service, pod, container } of config.deployed) {
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
    assert.ok(preStopSleepSeconds(deployedService(config, service).container) > 0, `${service}: needs a preStop sleep`);
  }
});

eachConfig('every container runs as non-root with a read-only root, no privilege escalation, no capabilities, and bounded resources', (config) => {
  for (const { name, pod } of config.workloads) {
    assert.equal(pod.automountServiceAccountToken, false, `${name}: nothing here calls the Kubernetes API`);
    for (const container of allContainers(pod)) {
      const what = `${name}/${container.name}`;
      const runAsNonRoot = container.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot;
      const runAsUser = container.securityContext?.runAsUser ?? pod.securityContext?.runAsUser;
      assert.equal(runAsNonRoot, true, `${what}: runAsNonRoot`);
      // Images name their users; Kubernetes can verify only a numeric one.
      assert.ok(runAsUser !== undefined && runAsUser !== 0, `${what}: runAsUser must be a non-zero uid`);
      assert.equal(container.securityContext?.allowPrivilegeEscalation, false, `${what}: allowPrivilegeEscalation`);
      assert.equal(container.securityContext?.readOnlyRootFilesystem, true, `${what}: readOnlyRootFilesystem`);
      assert.ok(container.securityContext?.capabilities?.drop?.includes('ALL'), `${what}: capabilities must drop ALL`);
      for (const kind of ['requests', 'limits'] as const) {
        for (const resource of ['cpu', 'memory']) {
          assert.ok(container.resources?.[kind]?.[resource] !== undefined, `${what}: resources.${kind}.${resource}`);
        }
      }
    }
  }
});

/** Deployments and StatefulSets whose pods a selector selects. */
function selected(config: Config, selector: Record<string, string> | undefined): Workload[] {
  if (selector === undefined || Object.keys(selector).length === 0) return [];
  return config.workloads.filter((w) => w.kind !== 'Job' && matches({ matchLabels: selector }, w.labels));
}

/** Replicas a Deployment may run with: its `replicas`, or its autoscaler's minimum. */
function minReplicas(config: Config, deployment: Named<IDeployment>): number {
  const scaler = autoscalers(config).get(deployment.metadata.name);
  return deployment.spec?.replicas ?? scaler?.min ?? 1;
}

eachConfig('Services select one workload each and PodDisruptionBudgets cover every service', (config) => {
  for (const svc of config.services) {
    const targets = selected(config, svc.spec?.selector);
    assert.equal(targets.length, 1, `Service ${svc.metadata.name} should select one workload`);
    for (const port of svc.spec?.ports ?? []) {
      assert.equal(typeof port.targetPort, 'string', `Service ${svc.metadata.name}: use named targetPorts`);
      assert.ok(allContainers(targets[0]!.pod).some((c) => c.ports?.some((p) => p.name === port.targetPort)), `Service ${svc.metadata.name}: no port ${String(port.targetPort)}`);
    }
  }
  for (const service of ['api', 'gateway'] as const) {
    const { deployment } = deployedService(config, service);
    assert.ok(config.services.some((s) => selected(config, s.spec?.selector).some((w) => w.name === deployment.metadata.name)), `no Service for the ${service}`);
  }
  const budgets = ofKind<IPodDisruptionBudget>(config.manifests, 'PodDisruptionBudget');
  for (const service of SERVICES) {
    const { deployment } = deployedService(config, service);
    const labels = deployment.spec?.template.metadata?.labels ?? {};
    const mine = budgets.filter((p) => matches(p.spec?.selector, labels));
    assert.equal(mine.length, 1, `${service} needs one PodDisruptionBudget`);
    const { minAvailable, maxUnavailable } = mine[0]!.spec ?? {};
    assert.ok(minAvailable !== undefined || maxUnavailable !== undefined);
    // Otherwise no node could ever be drained.
    if (typeof minAvailable === 'number') assert.ok(minAvailable < minReplicas(config, deployment), `${service}: minAvailable blocks every drain`);
    if (typeof maxUnavailable === 'number') assert.ok(maxUnavailable >= 1, `${service}: maxUnavailable 0 blocks every drain`);
  }
});

eachConfig('every Deployment spreads its pods over nodes', (config) => {
  for (const { service, deployment, pod } of config.deployed) {
    const labels = deployment.spec?.template.metadata?.labels ?? {};
    const constraints = pod.topologySpreadConstraints ?? [];
    assert.ok(constraints.some((c) => c.topologyKey === 'kubernetes.io/hostname'), `${service}: no spread over nodes`);
    for (const c of constraints) {
      assert.ok(matches(c.labelSelector, labels), `${service}: a spread constraint on ${c.topologyKey} does not select its own pods`);
      // DoNotSchedule would leave pods Pending on small clusters.
      assert.equal(c.whenUnsatisfiable, 'ScheduleAnyway', `${service}: ${c.topologyKey}`);
    }
  }
});

eachConfig('the gateway fetches keys from the api Service, and the api reads the key Secret it mounts', (config) => {
  const gateway = deployedService(config, 'gateway');
  const api = deployedService(config, 'api');
  const jwks = new URL(effective('gateway', 'AUTH_JWKS_URL', gateway.env.get('AUTH_JWKS_URL')));
  assert.equal(jwks.pathname, '/.well-known/jwks.json');
  const apiService = config.services.find((s) => s.metadata.name === jwks.hostname);
  assert.ok(apiService && selected(config, apiService.spec?.selector).some((w) => w.name === api.deployment.metadata.name), `AUTH_JWKS_URL host ${jwks.hostname} is not the api's Service`);
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

const readme = readFileSync(`${deployDir}README.md`, 'utf8');

eachConfig('deploy/README.md explains how to create every Secret the manifests reference', (config) => {
  const secrets = new Set<string>();
  for (const { pod } of config.workloads) {
    for (const v of pod.volumes ?? []) if (v.secret?.secretName) secrets.add(v.secret.secretName);
    for (const c of allContainers(pod)) for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef?.name) secrets.add(e.valueFrom.secretKeyRef.name);
  }
  assert.ok(secrets.size > 0);
  for (const name of secrets) assert.ok(readme.includes(`kubectl create secret generic ${name}`), `README: how to create ${name}`);
});

// ---------------------------------------------------------------------------
// Autoscaling.

interface Autoscaler {
  readonly kind: 'HorizontalPodAutoscaler' | 'ScaledObject';
  readonly name: string;
  readonly min: number;
  readonly object: Record<string, unknown>;
}

/** Deployment name → the autoscaler that owns its replica count. */
function autoscalers(config: Config): Map<string, Autoscaler> {
  const out = new Map<string, Autoscaler>();
  const add = (target: string, scaler: Autoscaler) => {
    assert.ok(!out.has(target), `${config.name}: two autoscalers for ${target}`);
    out.set(target, scaler);
  };
  for (const hpa of ofKind<IHorizontalPodAutoscaler>(config.manifests, 'HorizontalPodAutoscaler')) {
    assert.equal(hpa.spec?.scaleTargetRef.kind, 'Deployment');
    add(hpa.spec!.scaleTargetRef.name, { kind: 'HorizontalPodAutoscaler', name: hpa.metadata.name, min: hpa.spec?.minReplicas ?? 1, object: hpa as never });
  }
  for (const so of ofKind<IScaledObject>(config.manifests, 'ScaledObject')) {
    assert.ok((so.spec.scaleTargetRef.kind ?? 'Deployment') === 'Deployment');
    add(so.spec.scaleTargetRef.name, { kind: 'ScaledObject', name: so.metadata.name, min: so.spec.minReplicaCount ?? 0, object: so as never });
  }
  return out;
}

eachConfig('autoscalers own the replica counts of what they scale, and keep two of each', (config) => {
  const scalers = autoscalers(config);
  for (const target of scalers.keys()) assert.ok(config.deployed.some((d) => d.deployment.metadata.name === target), `an autoscaler targets ${target}, which is not deployed`);
  for (const { service, deployment } of config.deployed) {
    const scaler = scalers.get(deployment.metadata.name);
    if (scaler) {
      // `kubectl apply` would reset what the autoscaler chose.
      assert.equal(deployment.spec?.replicas, undefined, `${service}: autoscaled by ${scaler.name}, so no replicas in the manifest`);
      assert.ok(scaler.min >= 2, `${service}: ${scaler.name} may scale below two replicas`);
    } else {
      assert.ok(deployment.spec?.replicas !== undefined, `${service}: neither replicas nor an autoscaler`);
    }
  }
  // All or nothing: the prod family scales every service, dev none.
  assert.ok(scalers.size === 0 || scalers.size === SERVICES.length, `${config.name}: only some services are autoscaled`);
});

interface PrometheusTrigger {
  type: string;
  metricType?: string;
  metadata: Record<string, string>;
}

function prometheusTrigger(scaler: Autoscaler): PrometheusTrigger {
  const triggers = (scaler.object as unknown as IScaledObject).spec.triggers as PrometheusTrigger[];
  assert.equal(triggers.length, 1, `${scaler.name}: one trigger`);
  const trigger = triggers[0]!;
  assert.equal(trigger.type, 'prometheus');
  assert.equal(trigger.metricType ?? 'AverageValue', 'AverageValue', `${scaler.name}: the target is per pod`);
  assert.match(trigger.metadata.serverAddress ?? '', /^https?:\/\//, `${scaler.name}: serverAddress`);
  assert.ok(Number(trigger.metadata.threshold) > 0, `${scaler.name}: threshold`);
  return trigger;
}

eachConfig('api on CPU, gateways on connections with a slow scale-down, workers on the persistence backlog', async (config) => {
  const scalers = autoscalers(config);
  if (scalers.size === 0) return;
  const byService = (service: ServiceName) => scalers.get(deployedService(config, service).deployment.metadata.name)!;

  const api = byService('api').object as unknown as IHorizontalPodAutoscaler;
  assert.equal(byService('api').kind, 'HorizontalPodAutoscaler');
  assert.ok(api.spec?.metrics?.some((m) => m.type === 'Resource' && m.resource?.name === 'cpu' && m.resource.target.type === 'Utilization'), 'api: CPU utilisation');

  const gateway = byService('gateway');
  assert.equal(gateway.kind, 'ScaledObject');
  const gatewayQuery = prometheusTrigger(gateway).metadata.query!;
  assert.deepEqual(selectorsOf(gatewayQuery).map((s) => s.metric), ['parley_gateway_connections']);
  // Sockets drain on scale-in: their clients all reconnect elsewhere at once.
  const down = (gateway.object as unknown as IScaledObject).spec.advanced?.horizontalPodAutoscalerConfig?.behavior?.scaleDown;
  assert.ok((down?.stabilizationWindowSeconds ?? 0) >= 600, 'gateway: scale-down waits at least 10 minutes');
  assert.ok(down?.policies && down.policies.length > 0, 'gateway: scale-down policies');
  for (const policy of down.policies) {
    const small = policy.type === 'Percent' ? policy.value <= 10 : policy.value <= 1;
    assert.ok(small && policy.periodSeconds >= 60, `gateway: scale-down policy ${policy.type} ${policy.value}/${policy.periodSeconds}s removes too many at once`);
  }
  if (down.policies.length > 1) assert.equal(down.selectPolicy, 'Min');

  const worker = byService('worker');
  assert.equal(worker.kind, 'ScaledObject');
  const workerQuery = prometheusTrigger(worker).metadata.query!;
  assert.deepEqual(selectorsOf(workerQuery).map((s) => s.metric), ['parley_worker_stream_lag_messages']);

  // The queries name series and labels the services really expose.
  const series = await selectableSeries();
  for (const query of [gatewayQuery, workerQuery]) {
    for (const { metric, labels } of selectorsOf(query)) {
      const known = series.get(metric);
      assert.ok(known, `no service exposes ${metric}`);
      for (const label of labels) assert.ok(known.has(label), `${metric} has no label ${label}`);
    }
  }
});

test('the KEDA queries parse: promtool checks them as recording rules', (t) => {
  const queries = sources.flatMap(([, source]) =>
    typeof source === 'string' || source instanceof Error ? [] : ofKind<IScaledObject>(source, 'ScaledObject').flatMap((so) => so.spec.triggers.map((tr) => (tr.metadata as Record<string, string>).query!)),
  );
  if (queries.length === 0) return t.skip('no overlay rendered (kubectl missing)');
  const rules = { groups: [{ name: 'keda', rules: [...new Set(queries)].map((expr, i) => ({ record: `keda:query${i}`, expr })) }] };
  const dir = mkdtempSync(join(tmpdir(), 'parley-keda-'));
  try {
    // JSON is YAML; promtool reads rule files only by name.
    writeFileSync(join(dir, 'keda.rules.yaml'), JSON.stringify(rules));
    const result = spawnSync('promtool', ['check', 'rules', join(dir, 'keda.rules.yaml')], { encoding: 'utf8' });
    if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return t.skip('promtool not installed');
    assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------
// Storage.

function claimOf(config: Config, name: string | undefined): Named<IPersistentVolumeClaim> | undefined {
  return ofKind<IPersistentVolumeClaim>(config.manifests, 'PersistentVolumeClaim').find((c) => c.metadata.name === name);
}

eachConfig('uploads are shared by every api replica that may run', (config) => {
  if (!config.applied) return; // The base alone keeps them per pod; its kustomization says to apply an overlay.
  const { deployment, pod, container, env } = deployedService(config, 'api');
  const store = effective('api', 'UPLOADS_STORE', env.get('UPLOADS_STORE'));
  const scaled = autoscalers(config).has(deployment.metadata.name) || (deployment.spec?.replicas ?? 1) > 1;
  if (store === 's3') {
    assert.ok(env.get('UPLOADS_S3_BUCKET'), 'UPLOADS_S3_BUCKET must be set with UPLOADS_STORE=s3');
    assert.ok(!container.volumeMounts?.some((m) => m.name === 'uploads'), 'no uploads volume with the S3 store');
    return;
  }
  const dir = effective('api', 'UPLOADS_DIR', env.get('UPLOADS_DIR'));
  const mount = container.volumeMounts?.find((m) => dir === m.mountPath || dir.startsWith(`${m.mountPath}/`));
  assert.ok(mount, `UPLOADS_DIR ${dir} is on no volume`);
  const claim = claimOf(config, pod.volumes?.find((v) => v.name === mount.name)?.persistentVolumeClaim?.claimName);
  assert.ok(claim, 'the file store needs a PersistentVolumeClaim');
  if (scaled) {
    assert.ok(claim.spec?.accessModes?.includes('ReadWriteMany'), 'several api replicas need a ReadWriteMany claim');
  } else {
    // A ReadWriteOnce volume cannot follow a surging rollout to another node.
    assert.equal(deployment.spec?.strategy?.type, 'Recreate', 'one api replica on a ReadWriteOnce claim is replaced by Recreate');
  }
});

eachConfig('prod: the S3 store is the default and no Deployment needs a ReadWriteMany volume', (config) => {
  if (config.name !== 'prod' && config.name !== 'ingress') return;
  const api = deployedService(config, 'api');
  assert.equal(effective('api', 'UPLOADS_STORE', api.env.get('UPLOADS_STORE')), 's3');
  for (const { service, pod } of config.deployed) {
    for (const volume of pod.volumes ?? []) {
      const claim = claimOf(config, volume.persistentVolumeClaim?.claimName);
      assert.ok(!claim?.spec?.accessModes?.includes('ReadWriteMany'), `${service} mounts the ReadWriteMany claim ${claim?.metadata.name}`);
    }
  }
});

eachConfig('in-cluster Redis keeps what it acked (AOF, noeviction) and both stores sit on ReadWriteOnce claims', (config) => {
  const sets = ofKind<IStatefulSet>(config.manifests, 'StatefulSet');
  for (const set of sets) {
    const name = set.metadata.name;
    assert.ok(config.services.some((s) => s.metadata.name === set.spec?.serviceName && s.spec?.clusterIP === 'None'), `${name}: headless governing Service`);
    const templates = set.spec?.volumeClaimTemplates ?? [];
    assert.ok(templates.length > 0 && templates.every((t) => t.spec?.accessModes?.join() === 'ReadWriteOnce'), `${name}: ReadWriteOnce claims`);
    const container = set.spec!.template.spec!.containers[0]!;
    const dataMount = container.volumeMounts?.find((m) => templates.some((t) => t.metadata?.name === m.name));
    assert.ok(dataMount, `${name}: its data is not on its claim`);
    if (container.ports?.some((p) => p.name === 'redis')) {
      const args = [...(container.command ?? []), ...(container.args ?? [])].join(' ');
      assert.match(args, /--appendonly yes/);
      assert.match(args, /--appendfsync (everysec|always)/);
      assert.match(args, /--maxmemory-policy noeviction/);
      assert.match(args, new RegExp(`--dir ${dataMount.mountPath}( |$)`));
    }
  }
});

// ---------------------------------------------------------------------------
// Network policies.

interface Rule {
  readonly policy: string;
  readonly from: NonNullable<NonNullable<INetworkPolicy['spec']>['ingress']>[number]['from'];
  readonly ports: string[];
}

/** Ingress rules that apply to a workload's pods, and whether any Ingress policy selects them at all. */
function rulesFor(config: Config, workload: Workload): { isolated: boolean; rules: Rule[] } {
  const policies = ofKind<INetworkPolicy>(config.manifests, 'NetworkPolicy').filter(
    (p) => (p.spec?.policyTypes ?? ['Ingress']).includes('Ingress') && matches(p.spec?.podSelector ?? {}, workload.labels),
  );
  const rules = policies.flatMap((p) =>
    (p.spec?.ingress ?? []).map((r) => {
      assert.ok(r.ports && r.ports.length > 0, `${p.metadata.name}: a rule without ports opens every port`);
      return { policy: p.metadata.name, from: r.from, ports: r.ports.map((port) => String(port.port)) };
    }),
  );
  return { isolated: policies.length > 0, rules };
}

const containerPortNames = (workload: Workload) => new Set(allContainers(workload.pod).flatMap((c) => (c.ports ?? []).map((p) => p.name)));

eachConfig('network policies: every pod is isolated; public ports only on the api and gateways; Redis and Postgres only from the pods that use them', (config) => {
  const name = (service: ServiceName) => deployedService(config, service).deployment.metadata.name;
  const publicPort: Record<string, string> = { [name('api')]: 'http', [name('gateway')]: 'ws' };
  for (const workload of config.workloads) {
    const { isolated, rules } = rulesFor(config, workload);
    assert.ok(isolated, `${workload.name}: no NetworkPolicy selects its pods`);
    const ports = containerPortNames(workload);
    for (const rule of rules) {
      for (const port of rule.ports) assert.ok(ports.has(port), `${rule.policy}: ${workload.name} has no port ${port}`);
    }
    if (workload.kind === 'Job') {
      assert.deepEqual(rules, [], 'nothing connects to the migration Job');
      continue;
    }
    const open = rules.filter((r) => !r.from || r.from.length === 0 || r.from.some((f) => f.ipBlock || (f.namespaceSelector && Object.keys(f.namespaceSelector).length === 0 && !f.podSelector)));
    const wide = new Set(open.flatMap((r) => r.ports));
    if (workload.kind === 'Deployment') {
      // Ops (metrics) from anywhere in the cluster; the public port only where there is one.
      assert.ok(rules.some((r) => r.ports.includes('ops')), `${workload.name}: Prometheus cannot scrape`);
      const expected = publicPort[workload.name];
      if (expected) assert.ok(rules.some((r) => r.ports.includes(expected)), `${workload.name}: ${expected} is unreachable`);
      for (const port of new Set(rules.flatMap((r) => r.ports))) assert.ok(port === 'ops' || port === expected, `${workload.name}: port ${port} is open`);
      continue;
    }
    // StatefulSets (the dev overlay's Redis and Postgres): only from the parley pods that use them.
    assert.equal(wide.size, 0, `${workload.name}: reachable from outside parley`);
    const sources = rules.flatMap((r) => r.from ?? []);
    for (const source of sources) {
      assert.ok(source.podSelector && !source.namespaceSelector && !source.ipBlock, `${workload.name}: admits more than pods of its namespace`);
      assert.ok(config.workloads.some((w) => w !== workload && w.labels['app.kubernetes.io/part-of'] === 'parley' && matches(source.podSelector, w.labels)), `${workload.name}: a rule admits no parley pod`);
    }
    const variable = ports.has('redis') ? 'REDIS_URL' : ports.has('postgres') ? 'DATABASE_URL' : null;
    assert.ok(variable, `${workload.name}: neither Redis nor Postgres`);
    for (const client of config.workloads) {
      if (!allContainers(client.pod).some((c) => programOf(c.command) !== undefined && c.env?.some((e) => e.name === variable))) continue;
      assert.ok(sources.some((s) => matches(s.podSelector, client.labels)), `${client.name} uses ${variable} but may not reach ${workload.name}`);
    }
  }
});

// ---------------------------------------------------------------------------
// Ingress.

const NGINX = 'nginx.ingress.kubernetes.io/';

eachConfig('ingress: /v1/ws and sticky Socket.IO to the gateways with WebSocket timeouts, uploads with their body size, the rest to the api', (config) => {
  const ingresses = ofKind<IIngress>(config.manifests, 'Ingress');
  if (ingresses.length === 0) return;
  const api = deployedService(config, 'api');
  const gateway = deployedService(config, 'gateway');
  const routes = ingresses.flatMap((ing) =>
    (ing.spec?.rules ?? []).flatMap((rule) =>
      (rule.http?.paths ?? []).map((p) => ({ ingress: ing, host: rule.host, path: p.path, pathType: p.pathType, backend: p.backend.service! })),
    ),
  );
  assert.equal(new Set(routes.map((r) => r.host)).size, 1, 'one host for the api and the gateways (the web client derives the WebSocket URL from it)');
  assert.equal(new Set(ingresses.map((i) => i.spec?.ingressClassName)).size, 1);
  const route = (path: string) => {
    const found = routes.filter((r) => r.path === path);
    assert.equal(found.length, 1, `one route for ${path}`);
    const { backend } = found[0]!;
    const service = config.services.find((s) => s.metadata.name === backend.name);
    assert.ok(service, `${path}: no Service ${backend.name}`);
    assert.ok(service.spec?.ports?.some((p) => p.name === backend.port?.name), `${path}: Service ${backend.name} has no port ${backend.port?.name}`);
    return { ...found[0]!, targets: selected(config, service.spec?.selector).map((w) => w.name) };
  };
  const ws = route('/v1/ws');
  assert.deepEqual(ws.targets, [gateway.deployment.metadata.name]);
  // Any gateway serves any /v1/ws client: affinity would only skew the spread.
  assert.equal(ws.ingress.metadata.annotations?.[`${NGINX}affinity`], undefined, '/v1/ws needs no affinity');
  // Socket.IO: every request of an Engine.IO session (polls, the upgrade) must reach the
  // pod that holds the session. Affinity applies per Ingress, hence one for this path alone.
  const sioPath = socketioPath(gateway.env);
  const sio = route(sioPath);
  assert.deepEqual(sio.targets, [gateway.deployment.metadata.name]);
  assert.equal(sio.pathType, 'Prefix', 'Engine.IO requests are <path>?EIO=4&…');
  // ingress-nginx keeps affinity per upstream (namespace, Service, port) and applies the
  // first-created Ingress's to all Ingresses on it: Socket.IO needs an upstream of its own.
  assert.notEqual(sio.backend.name, ws.backend.name, 'Socket.IO has a Service of its own, or parley-ws\'s lack of affinity wins');
  const port = (name: string, portName: string | undefined) =>
    config.services.find((s) => s.metadata.name === name)?.spec?.ports?.find((p) => p.name === portName)?.targetPort;
  assert.equal(port(sio.backend.name, sio.backend.port?.name), port(ws.backend.name, ws.backend.port?.name), 'Socket.IO is served on the port of /v1/ws');
  assert.deepEqual(routes.filter((r) => r.ingress === sio.ingress).map((r) => r.path), [sioPath], 'the sticky Ingress routes Socket.IO only');
  const sticky = sio.ingress.metadata.annotations ?? {};
  assert.equal(sticky[`${NGINX}affinity`], 'cookie', `${sioPath}: cookie affinity`);
  // balanced mode moves some live sessions to pods added by scaling; those sessions would fail.
  assert.equal(sticky[`${NGINX}affinity-mode`], 'persistent', `${sioPath}: affinity-mode`);
  assert.ok(sticky[`${NGINX}session-cookie-name`], `${sioPath}: a named affinity cookie`);
  const cookiePath = sticky[`${NGINX}session-cookie-path`];
  assert.ok(cookiePath === undefined || sioPath.startsWith(cookiePath), `${sioPath}: the cookie's path ${cookiePath} would keep it from Socket.IO requests`);
  const idle = Number(effective('gateway', 'GATEWAY_IDLE_TIMEOUT_SECONDS', gateway.env.get('GATEWAY_IDLE_TIMEOUT_SECONDS')));
  for (const { path, ingress } of [ws, sio]) {
    for (const key of ['proxy-read-timeout', 'proxy-send-timeout']) {
      const seconds = Number(ingress.metadata.annotations?.[`${NGINX}${key}`]);
      assert.ok(seconds >= 3600 && seconds > idle && seconds > ENGINE_IO_PING_INTERVAL_S, `${path}: ${key} ${seconds}`);
    }
  }
  const uploads = route('/v1/uploads');
  assert.deepEqual(uploads.targets, [api.deployment.metadata.name]);
  assert.equal(uploads.pathType, 'Prefix');
  const maxBytes = Number(effective('api', 'UPLOADS_MAX_BYTES', api.env.get('UPLOADS_MAX_BYTES')));
  const bodySize = uploads.ingress.metadata.annotations?.[`${NGINX}proxy-body-size`];
  assert.ok(bodySize && nginxBytes(bodySize) >= maxBytes, `/v1/uploads: proxy-body-size ${bodySize} < UPLOADS_MAX_BYTES ${maxBytes}`);
  assert.equal(uploads.ingress.metadata.annotations?.[`${NGINX}proxy-request-buffering`], 'off');
  const rest = route('/');
  assert.equal(rest.pathType, 'Prefix');
  assert.deepEqual(rest.targets, [api.deployment.metadata.name]);
  // tus upload URLs and the web client's wss:// URL come from X-Forwarded-Proto and -Host.
  assert.equal(effective('api', 'API_TRUST_PROXY', api.env.get('API_TRUST_PROXY')), 'true');
});

// ---------------------------------------------------------------------------
// docker-compose.yml

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  volumes?: (string | { source?: string; target?: string })[];
  ports?: (string | { published?: string | number; target?: number })[];
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

/** `host:container` or `ip:host:container` → [host port, container port]. */
function publishedPorts(service: ComposeService): [string, string][] {
  return (service.ports ?? []).map((p) => {
    if (typeof p !== 'string') return [String(p.published), String(p.target)];
    const parts = p.split(':');
    return [parts.at(-2) ?? parts.at(-1)!, parts.at(-1)!];
  });
}

test('compose: a load balancer spreads /v1/ws over the gateways and pins each Socket.IO session to its gateway by cookie', () => {
  const gateways = composeParley.filter((c) => c.service === 'gateway');
  const balancers = Object.entries(compose.services).filter(([, s]) => /^haproxy:\d+\.\d+/.test(s.image ?? ''));
  assert.equal(balancers.length, 1, 'one HAProxy service, its image pinned to a version');
  const [lbName, lb] = balancers[0]!;
  assert.deepEqual([lb.depends_on ?? []].flat().sort(), gateways.map((g) => g.name).sort(), `${lbName} starts after the gateways`);
  // The official image reads /usr/local/etc/haproxy/haproxy.cfg.
  const mount = (lb.volumes ?? [])
    .map((v) => (typeof v === 'string' ? v.split(':') : [v.source ?? '', v.target ?? '']))
    .find(([, target]) => target === '/usr/local/etc/haproxy');
  assert.ok(mount, `${lbName}: no configuration mounted at /usr/local/etc/haproxy`);
  const cfgFile = join(deployDir, mount[0]!, 'haproxy.cfg');
  assert.ok(existsSync(cfgFile), `${cfgFile} missing`);
  const cfg = parseHaproxy(readFileSync(cfgFile, 'utf8'));

  // One gateway's settings stand for all: the compose gateways share the x-gateway fragment.
  const gatewayEnv = composeEnv(gateways[0]!.spec);
  for (const g of gateways) assert.deepEqual(composeEnv(g.spec), gatewayEnv, `${g.name}: configured unlike the others`);
  const gatewayPort = effective('gateway', 'GATEWAY_PORT', gatewayEnv.get('GATEWAY_PORT'));
  const opsPort = effective('gateway', 'OPS_PORT', gatewayEnv.get('OPS_PORT'));

  // Routing: /v1/ws and the Socket.IO path, each to its backend.
  const frontends = sectionsOf(cfg, 'frontend').filter((f) => directives(f.lines, 'use_backend').length > 0);
  assert.equal(frontends.length, 1, 'one frontend routes to the gateways');
  const front = frontends[0]!;
  const backendFor = (match: string, path: string): string => {
    const acls = directives(front.lines, 'acl').filter((a) => a[2] === match && a[3] === path).map((a) => a[1]);
    assert.equal(acls.length, 1, `one acl "${match} ${path}"`);
    const uses = directives(front.lines, 'use_backend').filter((u) => u[2] === 'if' && u[3] === acls[0] && u.length === 4);
    assert.equal(uses.length, 1, `one use_backend for ${path}`);
    return uses[0]![1]!;
  };
  const wsBackend = sectionNamed(cfg, 'backend', backendFor('path', '/v1/ws'));
  const sioBackend = sectionNamed(cfg, 'backend', backendFor('path_beg', socketioPath(gatewayEnv)));
  assert.notEqual(wsBackend, sioBackend, 'stickiness is per backend: Socket.IO needs its own');

  const gatewayAddresses = gateways.map((g) => `${g.name}:${gatewayPort}`).sort();
  for (const backend of [wsBackend, sioBackend]) {
    const lines = withDefaults(cfg, backend);
    const servers = directives(backend.lines, 'server');
    assert.deepEqual(servers.map((s) => s[2]).sort(), gatewayAddresses, `${backend.name}: every gateway, on GATEWAY_PORT`);
    // Health: /readyz on the ops port, so a starting or draining gateway gets no new clients.
    assert.ok(directives(lines, 'option', 'httpchk').length > 0, `${backend.name}: option httpchk`);
    assert.deepEqual(directives(lines, 'http-check', 'send').at(-1)?.slice(2), ['meth', 'GET', 'uri', '/readyz'], `${backend.name}: checks /readyz`);
    for (const server of servers) {
      const options = [...(directives(lines, 'default-server').at(-1)?.slice(1) ?? []), ...server.slice(3)];
      assert.ok(options.includes('check'), `${backend.name}/${server[1]}: not health-checked`);
      assert.equal(options[options.lastIndexOf('port') + 1], opsPort, `${backend.name}/${server[1]}: check port ≠ OPS_PORT`);
      assert.ok(!options.includes('on-marked-down'), `${backend.name}/${server[1]}: a draining gateway closes its sockets itself, spread out`);
    }
  }
  assert.deepEqual(directives(wsBackend.lines, 'cookie'), [], '/v1/ws needs no stickiness');
  assert.ok(directives(wsBackend.lines, 'server').every((s) => !s.includes('cookie')), '/v1/ws needs no stickiness');
  const cookie = directives(sioBackend.lines, 'cookie');
  assert.equal(cookie.length, 1, `${sioBackend.name}: a stickiness cookie`);
  for (const option of ['insert', 'indirect', 'nocache']) assert.ok(cookie[0]!.includes(option), `${sioBackend.name}: cookie … ${option}`);
  const values = directives(sioBackend.lines, 'server').map((s) => s[s.indexOf('cookie') + 1]);
  assert.ok(values.every((v) => v !== undefined && v !== 'cookie'), `${sioBackend.name}: every server needs a cookie value`);
  assert.equal(new Set(values).size, values.length, `${sioBackend.name}: cookie values must differ`);

  // Timeouts: a tunnel (WebSocket) outlives the gateway's idle ping; a long-poll waits up to pingInterval.
  const idle = Number(effective('gateway', 'GATEWAY_IDLE_TIMEOUT_SECONDS', gatewayEnv.get('GATEWAY_IDLE_TIMEOUT_SECONDS')));
  assert.ok(haproxySeconds(lastValue(withDefaults(cfg, front), 'timeout', 'client')) > ENGINE_IO_PING_INTERVAL_S, `${front.name}: timeout client cuts long-polls`);
  for (const backend of [wsBackend, sioBackend]) {
    const lines = withDefaults(cfg, backend);
    assert.ok(haproxySeconds(lastValue(lines, 'timeout', 'tunnel')) > idle, `${backend.name}: timeout tunnel ≤ GATEWAY_IDLE_TIMEOUT_SECONDS ${idle}`);
    assert.ok(haproxySeconds(lastValue(lines, 'timeout', 'server')) > ENGINE_IO_PING_INTERVAL_S, `${backend.name}: timeout server cuts long-polls`);
  }

  // The port clients use: published, and the one the api gives the web client.
  const bound = directives(front.lines, 'bind').map((b) => b[1]!.split(':').at(-1));
  assert.equal(bound.length, 1);
  const published = publishedPorts(lb).find(([, target]) => target === bound[0]);
  assert.ok(published, `${lbName}: port ${bound[0]} not published`);
  const api = composeParley.find((c) => c.service === 'api')!;
  const publicWs = composeEnv(api.spec).get('API_PUBLIC_WS_URL');
  assert.ok(publicWs, 'compose api: API_PUBLIC_WS_URL (the page is on the api\'s port, the gateways are not)');
  assert.equal(new URL(publicWs).port, published[0], 'API_PUBLIC_WS_URL should name the load balancer');
  assert.equal(new URL(publicWs).pathname, '/v1/ws');
});

test('compose: docker-compose accepts the file', (t) => {
  const result = spawnSync('docker-compose', ['-f', composeFile, 'config', '-q'], { cwd: repoRoot, encoding: 'utf8' });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    t.skip('docker-compose not installed');
    return;
  }
  assert.equal(result.status, 0, result.stderr);
});
