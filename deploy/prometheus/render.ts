/**
 * Renders the rule groups of rules.ts two ways: a plain Prometheus rules file
 * (`rule_files:`) and a PrometheusRule for the Prometheus Operator. Both carry
 * the same `groups`, so the two cannot say different things.
 */
import type { IPrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import type { RuleGroup } from './rules.js';

export interface RulesFile {
  readonly groups: readonly RuleGroup[];
}

/** Copies in a fixed key order, so the rendered YAML reads alert, expr, for, labels, annotations. */
export function rulesFile(groups: readonly RuleGroup[]): RulesFile {
  return {
    groups: groups.map((group) => ({
      name: group.name,
      rules: group.rules.map((rule) => ({
        alert: rule.alert,
        expr: rule.expr,
        for: rule.for,
        labels: { ...rule.labels },
        annotations: { ...rule.annotations },
      })),
    })),
  };
}

export function prometheusRule(groups: readonly RuleGroup[]): IPrometheusRule {
  const { groups: rendered } = rulesFile(groups);
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: {
      name: 'parley',
      labels: { 'app.kubernetes.io/name': 'parley', 'app.kubernetes.io/part-of': 'parley' },
    },
    spec: { groups: rendered.map((group) => ({ name: group.name, rules: group.rules.map((rule) => ({ ...rule })) })) },
  };
}
