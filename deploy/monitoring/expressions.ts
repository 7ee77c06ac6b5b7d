/**
 * Every PromQL expression the dashboards and rules contain, with where it
 * came from, for the tests that check names (artifacts.test.ts) and syntax
 * (promtool.test.ts).
 */
import type { Dashboard, Panel, RowPanel } from '@grafana/schema';
import type { RuleGroup } from '../prometheus/rules.js';

export interface Located {
  /** e.g. `parley-gateway › Open connections › A`. */
  readonly where: string;
  readonly expr: string;
}

const isRow = (panel: Panel | RowPanel): panel is RowPanel => panel.type === 'row';

/** Panel queries, and the selector inside each `label_values(selector, label)` variable query. */
export function dashboardExpressions(name: string, dashboard: Dashboard): Located[] {
  const out: Located[] = [];
  const panels = (dashboard.panels ?? []).flatMap((p) => (isRow(p) ? p.panels : [p]));
  for (const panel of panels) {
    for (const target of panel.targets ?? []) {
      const { expr, refId } = target;
      if (typeof expr !== 'string') throw new Error(`${name} › ${panel.title}: a target without expr`);
      out.push({ where: `${name} › ${panel.title} › ${String(refId)}`, expr });
    }
  }
  for (const variable of dashboard.templating?.list ?? []) {
    if (variable.type !== 'query') continue;
    const match = typeof variable.query === 'string' ? /^label_values\((.+), *[a-zA-Z_]\w*\)$/.exec(variable.query) : null;
    if (!match) throw new Error(`${name}: variable ${variable.name} is not a label_values(selector, label) query`);
    out.push({ where: `${name} › $${variable.name}`, expr: match[1]! });
  }
  return out;
}

export function ruleExpressions(groups: readonly RuleGroup[]): Located[] {
  return groups.flatMap((group) => group.rules.map((rule) => ({ where: `${group.name} › ${rule.alert}`, expr: rule.expr })));
}

/**
 * Stands in for Grafana's variables so an expression is plain PromQL:
 * interval variables become durations, any other variable (they only appear
 * inside label matcher strings) matches everything.
 */
export function withoutGrafanaVariables(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '5m')
    .replaceAll('$__interval', '1m')
    .replaceAll('$__range', '1h')
    .replace(/\$\{?[a-zA-Z_]\w*\}?/g, '.*');
}
