/** The HTTP api: request rate, status classes, latency and errors by route, per pod. */
import type { Dashboard } from '@grafana/schema';
import { dashboard, labelVariable, sized } from '../lib/layout.js';
import { timeseries } from '../lib/panels.js';
import { processRow } from '../lib/process-row.js';

const RI = '$__rate_interval';
const SEL = 'instance=~"$instance", route=~"$route"';
const REQUESTS = 'parley_api_requests_total';
const DURATION = 'parley_api_request_duration_seconds_bucket';

const ratioOf = (statuses: string) =>
  `sum(rate(${REQUESTS}{status=~"${statuses}", ${SEL}}[${RI}])) / sum(rate(${REQUESTS}{${SEL}}[${RI}]))`;

export const apiDashboard = dashboard({
  uid: 'parley-api',
  title: 'parley / api',
  description: 'The HTTP api: requests, status classes, latency and errors by route pattern.',
  variables: [
    labelVariable('instance', 'Pod', REQUESTS),
    // Route patterns (`/v1/rooms/:id`), never raw URLs: api/metrics.ts keeps the cardinality bounded.
    labelVariable('route', 'Route', REQUESTS),
  ],
  rows: [
    {
      title: 'Traffic',
      panels: [
        sized(
          timeseries({
            title: 'Requests by status class',
            description: 'Requests answered per second, by status class.',
            queries: ['2', '3', '4', '5'].map((c) => ({
              expr: `sum(rate(${REQUESTS}{status=~"${c}..", ${SEL}}[${RI}]))`,
              legend: `${c}xx`,
            })),
            unit: 'reqps',
            stack: true,
            min: 0,
          }),
          12,
        ),
        sized(
          timeseries({
            title: 'Error ratios',
            description: 'Share of requests answered 5xx (server) and 4xx (client). The lines mark ParleyApiErrorRatioHigh (2 %) and …Critical (10 %) for 5xx.',
            queries: [
              { expr: ratioOf('5..'), legend: '5xx' },
              { expr: ratioOf('4..'), legend: '4xx' },
            ],
            unit: 'percentunit',
            min: 0,
            thresholds: [0.02, 0.1],
          }),
          12,
        ),
        sized(
          timeseries({
            title: 'Busiest routes',
            description: 'The ten routes with the most requests per second.',
            queries: [{ expr: `topk(10, sum by (method, route) (rate(${REQUESTS}{${SEL}}[${RI}])))`, legend: '{{method}} {{route}}' }],
            unit: 'reqps',
            min: 0,
          }),
          12,
        ),
        sized(
          timeseries({
            title: 'Requests by pod',
            description: 'Requests per second per api pod: the load balancer should spread them evenly.',
            queries: [{ expr: `sum by (instance) (rate(${REQUESTS}{${SEL}}[${RI}]))`, legend: '{{instance}}' }],
            unit: 'reqps',
            stack: true,
            min: 0,
          }),
          12,
        ),
      ],
    },
    {
      title: 'Latency',
      panels: [
        sized(
          timeseries({
            title: 'Latency',
            description: 'Request latency quantiles over the selected routes. Uploads and downloads last as long as their transfer; deselect them for a fair picture (ParleyApiLatencyHigh excludes them).',
            queries: [0.5, 0.9, 0.99].map((q) => ({
              expr: `histogram_quantile(${q}, sum by (le) (rate(${DURATION}{${SEL}}[${RI}])))`,
              legend: `p${q * 100}`,
            })),
            unit: 's',
            min: 0,
          }),
          12,
        ),
        sized(
          timeseries({
            title: 'Slowest routes (p99)',
            description: 'The ten routes with the highest 99th percentile latency.',
            queries: [
              {
                expr: `topk(10, histogram_quantile(0.99, sum by (method, route, le) (rate(${DURATION}{${SEL}}[${RI}]))))`,
                legend: '{{method}} {{route}}',
              },
            ],
            unit: 's',
            min: 0,
          }),
          12,
        ),
      ],
    },
    {
      title: 'Errors',
      panels: [
        sized(
          timeseries({
            title: '5xx by route',
            description: 'Server errors per second by route and status: 503 is a backing service (Postgres, Redis) unreachable, 500 a bug; the api log has the stack.',
            queries: [{ expr: `sum by (method, route, status) (rate(${REQUESTS}{status=~"5..", ${SEL}}[${RI}]))`, legend: '{{status}} {{method}} {{route}}' }],
            unit: 'reqps',
            min: 0,
          }),
          12,
        ),
        sized(
          timeseries({
            title: '4xx by route',
            description: 'Client errors per second by route and status, the ten busiest. Steady 401s are expired tokens; a sudden jump across routes points at clients or at token verification.',
            queries: [{ expr: `topk(10, sum by (method, route, status) (rate(${REQUESTS}{status=~"4..", ${SEL}}[${RI}])))`, legend: '{{status}} {{method}} {{route}}' }],
            unit: 'reqps',
            min: 0,
          }),
          12,
        ),
      ],
    },
    processRow('api'),
  ],
}) satisfies Dashboard;
