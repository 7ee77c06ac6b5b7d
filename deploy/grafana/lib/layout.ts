/**
 * Dashboards from rows of panels: positions, ids, the shared variables and
 * links, so each dashboard module only says what it shows.
 */
import { DashboardCursorSync, VariableRefresh, VariableSort, type Dashboard, type Panel, type RowPanel, type VariableModel } from '@grafana/schema';
import { DATASOURCE } from './panels.js';

/** Grafana's grid is 24 columns wide. */
const GRID_WIDTH = 24;

/**
 * Grafana 10.4's schema: newer Grafanas migrate it on load, older ones would
 * have to guess at fields they do not know.
 */
export const SCHEMA_VERSION = 39;

/** Every parley dashboard carries this tag; the dashboards link to each other through it. */
export const TAG = 'parley';

export interface Sized {
  readonly panel: Panel;
  readonly w: number;
  readonly h: number;
}

export interface Row {
  readonly title: string;
  readonly panels: readonly Sized[];
}

export const sized = (panel: Panel, w: number, h = 8): Sized => ({ panel, w, h });

/** Lays rows out top to bottom; within a row, panels flow left to right and wrap at the grid's width. */
function layOut(rows: readonly Row[]): (Panel | RowPanel)[] {
  const out: (Panel | RowPanel)[] = [];
  let id = 1;
  let y = 0;
  for (const row of rows) {
    out.push({ type: 'row', id: id++, title: row.title, collapsed: false, panels: [], gridPos: { x: 0, y, w: GRID_WIDTH, h: 1 } });
    y += 1;
    let x = 0;
    let lineHeight = 0;
    for (const { panel, w, h } of row.panels) {
      if (w > GRID_WIDTH) throw new Error(`${row.title}: panel ${panel.title} is wider than the grid`);
      if (x + w > GRID_WIDTH) {
        y += lineHeight;
        x = 0;
        lineHeight = 0;
      }
      out.push({ ...panel, id: id++, gridPos: { x, y, w, h } });
      x += w;
      lineHeight = Math.max(lineHeight, h);
    }
    y += lineHeight;
  }
  return out;
}

export const datasourceVariable: VariableModel = {
  type: 'datasource',
  name: 'datasource',
  label: 'Data source',
  query: 'prometheus',
  refresh: VariableRefresh.onDashboardLoad,
};

/** A multi-value variable named after the label whose values it lists, "All" matching everything. */
export function labelVariable(labelName: string, displayName: string, selector: string): VariableModel {
  return {
    type: 'query',
    name: labelName,
    label: displayName,
    datasource: DATASOURCE,
    query: `label_values(${selector}, ${labelName})`,
    refresh: VariableRefresh.onTimeRangeChanged,
    sort: VariableSort.naturalAsc,
    multi: true,
    includeAll: true,
    // Without it "All" becomes a regex listing every value, which misses instances that appear later.
    allValue: '.*',
  };
}

export interface DashboardSpec {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly variables: readonly VariableModel[];
  readonly rows: readonly Row[];
}

export function dashboard(spec: DashboardSpec): Dashboard {
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: [TAG],
    editable: true,
    graphTooltip: DashboardCursorSync.Crosshair,
    schemaVersion: SCHEMA_VERSION,
    time: { from: 'now-3h', to: 'now' },
    refresh: '30s',
    timezone: 'browser',
    links: [
      {
        type: 'dashboards',
        title: 'parley',
        tags: [TAG],
        asDropdown: true,
        includeVars: false,
        keepTime: true,
        targetBlank: false,
        icon: 'external link',
        tooltip: '',
        url: '',
      },
    ],
    templating: { list: [datasourceVariable, ...spec.variables] },
    annotations: { list: [] },
    panels: layOut(spec.rows),
  };
}
