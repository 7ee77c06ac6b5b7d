/**
 * Panel builders: a time series and a stat, both querying Prometheus through
 * the dashboard's `datasource` variable, so one JSON file works with whatever
 * the Prometheus data source is called where it is imported.
 */
import {
  BigValueColorMode,
  BigValueGraphMode,
  BigValueJustifyMode,
  BigValueTextMode,
  GraphDrawStyle,
  GraphThresholdsStyleMode,
  LegendDisplayMode,
  PercentChangeColorMode,
  SortOrder,
  StackingMode,
  ThresholdsMode,
  TooltipDisplayMode,
  VisibilityMode,
  VizOrientation,
  type DataSourceRef,
  type Panel,
  type Threshold,
} from '@grafana/schema';
import type {
  FieldConfig as TimeSeriesFieldConfig,
  Options as TimeSeriesOptions,
} from '@grafana/schema/dist/esm/raw/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen';
import type { Options as StatOptions } from '@grafana/schema/dist/esm/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen';

export const DATASOURCE: DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

/** A Prometheus query as Grafana stores it (a type alias, so it fits the schema's `Record<string, unknown>`). */
export type PromTarget = {
  refId: string;
  datasource: DataSourceRef;
  expr: string;
  legendFormat: string;
};

export interface Query {
  readonly expr: string;
  /** Grafana legend template, e.g. `{{instance}}`; defaults to the series name. */
  readonly legend?: string;
}

function targets(queries: readonly Query[]): PromTarget[] {
  return queries.map((q, n) => ({
    refId: String.fromCharCode(65 + n),
    datasource: DATASOURCE,
    expr: q.expr,
    legendFormat: q.legend ?? '__auto',
  }));
}

export interface PanelSpec {
  readonly title: string;
  /** What the panel shows and how to read it; Grafana shows it as the panel's info tooltip. */
  readonly description: string;
  readonly queries: readonly Query[];
  /** A Grafana unit id: `s`, `bytes`, `ops`, `reqps`, `percentunit`, `short`… */
  readonly unit: string;
  /** Values from which the panel turns yellow, then red. */
  readonly thresholds?: readonly [warning: number, critical: number];
}

export interface TimeSeriesSpec extends PanelSpec {
  readonly stack?: boolean;
  readonly min?: number;
}

function thresholdSteps(thresholds: PanelSpec['thresholds']): Threshold[] {
  const base: Threshold = { value: null, color: 'green' };
  if (!thresholds) return [base];
  return [base, { value: thresholds[0], color: 'yellow' }, { value: thresholds[1], color: 'red' }];
}

export function timeseries(spec: TimeSeriesSpec): Panel {
  const options = {
    legend: { showLegend: true, displayMode: LegendDisplayMode.List, placement: 'bottom', calcs: [] },
    tooltip: { mode: TooltipDisplayMode.Multi, sort: SortOrder.Descending },
  } satisfies TimeSeriesOptions;
  const custom = {
    drawStyle: GraphDrawStyle.Line,
    lineWidth: 1,
    fillOpacity: spec.stack ? 25 : 8,
    showPoints: VisibilityMode.Never,
    spanNulls: false,
    stacking: { mode: spec.stack ? StackingMode.Normal : StackingMode.None, group: 'A' },
    // Threshold lines only where the panel has thresholds, so they mark the alerting levels.
    thresholdsStyle: { mode: spec.thresholds ? GraphThresholdsStyleMode.Line : GraphThresholdsStyleMode.Off },
  } satisfies TimeSeriesFieldConfig;
  return {
    type: 'timeseries',
    title: spec.title,
    description: spec.description,
    datasource: DATASOURCE,
    targets: targets(spec.queries),
    options,
    fieldConfig: {
      defaults: {
        unit: spec.unit,
        ...(spec.min === undefined ? {} : { min: spec.min }),
        custom,
        thresholds: { mode: ThresholdsMode.Absolute, steps: thresholdSteps(spec.thresholds) },
      },
      overrides: [],
    },
  };
}

export function stat(spec: PanelSpec): Panel {
  const options = {
    colorMode: spec.thresholds ? BigValueColorMode.Background : BigValueColorMode.None,
    graphMode: BigValueGraphMode.Area,
    justifyMode: BigValueJustifyMode.Auto,
    textMode: BigValueTextMode.Auto,
    orientation: VizOrientation.Auto,
    percentChangeColorMode: PercentChangeColorMode.Standard,
    showPercentChange: false,
    wideLayout: true,
    reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
  } satisfies StatOptions;
  return {
    type: 'stat',
    title: spec.title,
    description: spec.description,
    datasource: DATASOURCE,
    targets: targets(spec.queries),
    options,
    fieldConfig: {
      defaults: {
        unit: spec.unit,
        noValue: '0',
        thresholds: { mode: ThresholdsMode.Absolute, steps: thresholdSteps(spec.thresholds) },
      },
      overrides: [],
    },
  };
}
