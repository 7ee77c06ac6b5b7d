/**
 * Everything rendered from the TypeScript sources, by repository path: the
 * dashboards' JSON, the dashboards as ConfigMaps for Grafana's sidecar, the
 * plain rules file and the PrometheusRule. build.ts writes them;
 * artifacts.test.ts fails when a committed file differs from its rendering.
 */
import type { IConfigMap } from 'kubernetes-models/v1';
import { stringify } from 'yaml';
import { DASHBOARDS } from '../grafana/dashboards/index.js';
import { RULE_GROUPS } from '../prometheus/rules.js';
import { prometheusRule, rulesFile } from '../prometheus/render.js';

export const DASHBOARD_DIR = 'deploy/grafana/dashboards';
export const RULES_FILE = 'deploy/prometheus/parley-rules.yaml';
export const PROMETHEUS_RULE_FILE = 'deploy/k8s/monitoring/prometheus-rule.yaml';
export const DASHBOARD_CONFIGMAPS_FILE = 'deploy/k8s/monitoring/grafana-dashboards.yaml';

/** The label Grafana's dashboard sidecar (kube-prometheus-stack, the grafana chart) watches by default. */
export const SIDECAR_LABEL = { grafana_dashboard: '1' } as const;

const header = (source: string) =>
  `# Generated from ${source} by \`node dist/deploy/monitoring/build.js\`; do not edit.\n`;

/** No line folding: PromQL and dashboard JSON stay on the lines they were written on. */
const yaml = (value: unknown) => stringify(value, { lineWidth: 0 });

export const dashboardJson = (dashboard: unknown): string => `${JSON.stringify(dashboard, null, 2)}\n`;

function dashboardConfigMaps(): IConfigMap[] {
  return [...DASHBOARDS].map(([name, dashboard]) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: `grafana-dashboard-${name}`,
      labels: { ...SIDECAR_LABEL, 'app.kubernetes.io/part-of': 'parley' },
      // Sidecars configured with folderAnnotation: grafana_folder file the dashboards under "parley".
      annotations: { grafana_folder: 'parley' },
    },
    data: { [`${name}.json`]: dashboardJson(dashboard) },
  }));
}

export function artifacts(): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, dashboard] of DASHBOARDS) out.set(`${DASHBOARD_DIR}/${name}.json`, dashboardJson(dashboard));
  out.set(
    DASHBOARD_CONFIGMAPS_FILE,
    header('deploy/grafana/dashboards/*.ts') + dashboardConfigMaps().map(yaml).join('---\n'),
  );
  out.set(RULES_FILE, header('deploy/prometheus/rules.ts') + yaml(rulesFile(RULE_GROUPS)));
  out.set(PROMETHEUS_RULE_FILE, header('deploy/prometheus/rules.ts') + yaml(prometheusRule(RULE_GROUPS)));
  return out;
}
