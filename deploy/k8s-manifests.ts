/**
 * Reading the Kubernetes manifests for deploy/manifests.test.ts: YAML streams
 * into typed objects, validation against the API schemas (kubernetes-models,
 * the KEDA and Prometheus Operator models included), the overlays rendered
 * by `kubectl kustomize`, and the pods every workload runs.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import * as k8sModels from 'kubernetes-models';
import * as kedaModels from '@kubernetes-models/keda';
import * as prometheusModels from '@kubernetes-models/prometheus-operator';
import type { IContainer, IPodSpec } from 'kubernetes-models/v1';

export interface Manifest {
  readonly file: string;
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly object: Record<string, unknown>;
}

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

/** The model packages have no lookup by apiVersion/kind; build one from their exported classes. */
function modelIndex(roots: object[]): Map<string, ModelClass> {
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
  for (const root of roots) walk(root);
  return index;
}

const models = modelIndex([k8sModels, kedaModels, prometheusModels]);

/** Parses every document of a YAML stream; fails on syntax errors, warnings and documents without a kind or name. */
export function parseManifests(file: string, text: string): Manifest[] {
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

/** Fails unless the object is a known kind and valid against its schema (unknown fields pass: the models allow them). */
export function validate(manifest: Manifest): void {
  const Model = models.get(`${manifest.apiVersion}/${manifest.kind}`);
  assert.ok(Model, `${manifest.file}: unknown kind ${manifest.apiVersion}/${manifest.kind}`);
  assert.doesNotThrow(() => new Model(manifest.object).validate(), `${manifest.file}: ${manifest.kind}/${manifest.name}`);
}

/** `kubectl kustomize <dir>`'s objects, or why they cannot be had (the reason to skip with). */
export function kustomize(dir: string, label: string): Manifest[] | string {
  const result = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    return 'kubectl not installed (Debian kubernetes-client; scripts/ensure-services.sh installs it)';
  }
  // Newer kubectl warns about `bases` and `patchesStrategicMerge` on stderr; only the status counts.
  assert.equal(result.status, 0, `kubectl kustomize ${label} failed:\n${result.stderr}`);
  return parseManifests(`kubectl kustomize ${label}`, result.stdout);
}

export type Named<T> = T & { metadata: { name: string; labels?: Record<string, string> } };

export function ofKind<T>(manifests: readonly Manifest[], kind: string): Named<T>[] {
  return manifests.filter((m) => m.kind === kind).map((m) => m.object as Named<T>);
}

/** A pod template of a Deployment, StatefulSet or Job, with its labels. */
export interface Workload {
  readonly kind: 'Deployment' | 'StatefulSet' | 'Job';
  readonly name: string;
  readonly object: Record<string, unknown>;
  readonly labels: Record<string, string>;
  readonly pod: IPodSpec;
}

export function workloads(manifests: readonly Manifest[]): Workload[] {
  return manifests
    .filter((m): m is Manifest & { kind: Workload['kind'] } => m.kind === 'Deployment' || m.kind === 'StatefulSet' || m.kind === 'Job')
    .map((m) => {
      const template = (m.object.spec as { template?: { metadata?: { labels?: Record<string, string> }; spec?: IPodSpec } }).template;
      assert.ok(template?.spec, `${m.kind}/${m.name}: no pod template`);
      return { kind: m.kind, name: m.name, object: m.object, labels: template.metadata?.labels ?? {}, pod: template.spec };
    });
}

export function allContainers(pod: IPodSpec): IContainer[] {
  return [...(pod.initContainers ?? []), ...pod.containers];
}

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** Label selector semantics; an empty selector selects everything (as in NetworkPolicy podSelector). */
export function matches(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (selector === undefined) return false;
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpression = (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    switch (operator) {
      case 'In':
        return labels[key] !== undefined && values.includes(labels[key]);
      case 'NotIn':
        return labels[key] === undefined || !values.includes(labels[key]);
      case 'Exists':
        return labels[key] !== undefined;
      case 'DoesNotExist':
        return labels[key] === undefined;
      default:
        throw new Error(`unknown selector operator ${operator}`);
    }
  });
  return byLabel && byExpression;
}

/** Parses a Kubernetes quantity or an nginx size (`100m` there means MiB) into bytes. */
export function nginxBytes(size: string): number {
  const match = /^(\d+)([kKmMgG]?)$/.exec(size);
  assert.ok(match, `unparsable size ${size}`);
  const unit = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30 }[match[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(match[1]) * unit;
}
