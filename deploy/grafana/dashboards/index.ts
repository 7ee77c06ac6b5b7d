/** Every parley dashboard, by the file name its JSON is rendered to. */
import type { Dashboard } from '@grafana/schema';
import { apiDashboard } from './api.js';
import { gatewayDashboard } from './gateway.js';
import { overviewDashboard } from './overview.js';
import { workerDashboard } from './worker.js';

export const DASHBOARDS: ReadonlyMap<string, Dashboard> = new Map([
  ['parley-overview', overviewDashboard],
  ['parley-gateway', gatewayDashboard],
  ['parley-worker', workerDashboard],
  ['parley-api', apiDashboard],
]);
