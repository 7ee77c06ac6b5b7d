/** The first screen: is parley up, how busy it is, and which service to open next. */
import type { Dashboard } from '@grafana/schema';
import { dashboard, sized } from '../lib/layout.js';
import { stat, timeseries } from '../lib/panels.js';
import { PERSIST_MAX_BACKLOG } from '../../monitoring/defaults.js';

const RI = '$__rate_interval';
const JOBS = 'job=~"parley-(api|gateway|worker)"';
const ACK_BUCKETS = `sum by (le) (rate(parley_gateway_publish_ack_seconds_bucket[${RI}]))`;
const BACKLOG = 'sum(max by (partition) (parley_worker_stream_lag_messages))';
const API_5XX_RATIO = `sum(rate(parley_api_requests_total{status=~"5.."}[${RI}])) / sum(rate(parley_api_requests_total[${RI}]))`;

export const overviewDashboard = dashboard({
  uid: 'parley-overview',
  title: 'parley / overview',
  description: 'parley at a glance: availability, traffic, latency, persistence and resources of every service. The per-service dashboards break each down per pod.',
  variables: [],
  rows: [
    {
      title: 'At a glance',
      panels: [
        sized(stat({ title: 'Connections', description: 'Open connections across all gateways, both transports (raw WebSocket and Socket.IO).', queries: [{ expr: 'sum(parley_gateway_connections)' }], unit: 'short' }), 3, 4),
        sized(
          stat({ title: 'Messages accepted', description: 'Publishes acked per second across all gateways.', queries: [{ expr: `sum(rate(parley_gateway_publish_ack_seconds_count[${RI}]))` }], unit: 'ops' }),
          3,
          4,
        ),
        sized(
          stat({ title: 'Deliveries', description: 'Message frames written to sockets per second.', queries: [{ expr: `sum(rate(parley_gateway_frames_sent_total{type="message"}[${RI}]))` }], unit: 'ops' }),
          3,
          4,
        ),
        sized(
          stat({
            title: 'Publish→ack p99',
            description: 'Turns yellow at the ParleyGatewayPublishAckSlow threshold (250 ms) and red at …VerySlow (1 s).',
            queries: [{ expr: `histogram_quantile(0.99, ${ACK_BUCKETS})` }],
            unit: 's',
            thresholds: [0.25, 1],
          }),
          3,
          4,
        ),
        sized(
          stat({
            title: 'Unpersisted messages',
            description: 'Accepted messages not yet committed to Postgres.',
            queries: [{ expr: BACKLOG }],
            unit: 'short',
            thresholds: [1000, 0.5 * PERSIST_MAX_BACKLOG],
          }),
          3,
          4,
        ),
        sized(stat({ title: 'api requests', description: 'HTTP requests per second.', queries: [{ expr: `sum(rate(parley_api_requests_total[${RI}]))` }], unit: 'reqps' }), 3, 4),
        sized(
          stat({ title: 'api 5xx', description: 'Share of HTTP requests answered 5xx.', queries: [{ expr: API_5XX_RATIO }], unit: 'percentunit', thresholds: [0.02, 0.1] }),
          3,
          4,
        ),
        sized(
          stat({
            title: 'Dead letters',
            description: 'Persistence entries moved to the dead-letter stream in the selected time range. Anything above zero needs an operator.',
            queries: [{ expr: 'sum(increase(parley_worker_dead_letters_total[$__range]))' }],
            unit: 'short',
            thresholds: [1, 1],
          }),
          3,
          4,
        ),
      ],
    },
    {
      title: 'Availability',
      panels: [
        sized(
          timeseries({
            title: 'Targets up by service',
            description: 'Processes Prometheus scrapes successfully, per job. A dip during a rollout is normal; a job at zero is ParleyServiceDown.',
            queries: [{ expr: `sum by (job) (up{${JOBS}})`, legend: '{{job}}' }],
            unit: 'short',
            min: 0,
          }),
          12,
        ),
        sized(
          timeseries({
            title: 'Process restarts',
            description: 'Restarts per pod in the preceding hour (changes of the process start time). Rollouts replace pods rather than restarting them, so anything here is a crash or an OOM kill.',
            queries: [{ expr: 'changes(parley_process_process_start_time_seconds[1h]) > 0', legend: '{{service}} {{instance}}' }],
            unit: 'short',
            min: 0,
          }),
          12,
        ),
      ],
    },
    {
      title: 'Traffic and latency',
      panels: [
        sized(
          timeseries({
            title: 'Message flow',
            description: 'Messages accepted from clients, relayed from Redis to gateways (once per gateway holding the room), and delivered to sockets.',
            queries: [
              { expr: `sum(rate(parley_gateway_publish_ack_seconds_count[${RI}]))`, legend: 'accepted' },
              { expr: `sum(rate(parley_gateway_messages_relayed_total[${RI}]))`, legend: 'relayed' },
              { expr: `sum(rate(parley_gateway_frames_sent_total{type="message"}[${RI}]))`, legend: 'delivered' },
            ],
            unit: 'ops',
            min: 0,
          }),
          8,
        ),
        sized(
          timeseries({
            title: 'Publish→ack latency',
            description: 'Across all gateways.',
            queries: [0.5, 0.99].map((q) => ({ expr: `histogram_quantile(${q}, ${ACK_BUCKETS})`, legend: `p${q * 100}` })),
            unit: 's',
            min: 0,
            thresholds: [0.25, 1],
          }),
          8,
        ),
        sized(
          timeseries({
            title: 'Connections by gateway',
            description: 'Open WebSockets per gateway process, stacked.',
            queries: [{ expr: 'sum by (instance) (parley_gateway_connections)', legend: '{{instance}}' }],
            unit: 'short',
            stack: true,
            min: 0,
          }),
          8,
        ),
      ],
    },
    {
      title: 'Errors',
      panels: [
        sized(
          timeseries({
            title: 'Gateway error frames by code',
            description: 'Error frames sent to clients per second by code.',
            queries: [{ expr: `sum by (code) (rate(parley_gateway_errors_sent_total[${RI}]))`, legend: '{{code}}' }],
            unit: 'ops',
            min: 0,
          }),
          8,
        ),
        sized(
          timeseries({
            title: 'Refused upgrades by outcome',
            description: 'WebSocket upgrades refused per second by error code.',
            queries: [{ expr: `sum by (outcome) (rate(parley_gateway_upgrades_total{outcome!="accepted"}[${RI}]))`, legend: '{{outcome}}' }],
            unit: 'ops',
            min: 0,
          }),
          8,
        ),
        sized(
          timeseries({
            title: 'api 5xx ratio',
            description: 'Share of HTTP requests answered 5xx; the lines mark the warning and critical alerts.',
            queries: [{ expr: API_5XX_RATIO, legend: '5xx' }],
            unit: 'percentunit',
            min: 0,
            thresholds: [0.02, 0.1],
          }),
          8,
        ),
      ],
    },
    {
      title: 'Persistence',
      panels: [
        sized(
          timeseries({
            title: 'Persisted vs accepted',
            description: 'Messages accepted by gateways and rows written by workers, per second. Sustained accepted > persisted grows the backlog.',
            queries: [
              { expr: `sum(rate(parley_gateway_publish_ack_seconds_count[${RI}]))`, legend: 'accepted' },
              { expr: `sum(rate(parley_worker_messages_persisted_total[${RI}]))`, legend: 'persisted' },
            ],
            unit: 'ops',
            min: 0,
          }),
          8,
        ),
        sized(
          timeseries({
            title: 'Backlog',
            description: 'Accepted messages not yet committed to Postgres.',
            queries: [{ expr: BACKLOG, legend: 'unpersisted' }],
            unit: 'short',
            min: 0,
          }),
          8,
        ),
        sized(
          timeseries({
            title: 'Accepted → committed p99',
            description: 'How long a message waits for Postgres. ParleyPersistenceLagging fires above 30 s.',
            queries: [{ expr: `histogram_quantile(0.99, sum by (le) (rate(parley_worker_persist_latency_seconds_bucket[${RI}])))`, legend: 'p99' }],
            unit: 's',
            min: 0,
            thresholds: [10, 30],
          }),
          8,
        ),
        sized(
          timeseries({
            title: 'Redis data losses',
            description: 'Redis lost data of a persistence partition (its epoch was missing or replaced after a seq regression), counted once cluster-wide by the process that recorded it (ParleyRedisDataLoss), and the rooms reseeded past the loss: their skipped seqs are reported to clients as gaps.',
            queries: [
              { expr: 'sum by (partition) (increase(parley_redis_data_loss_total[$__rate_interval]))', legend: 'losses, partition {{partition}}' },
              { expr: 'sum(increase(parley_seq_reseeds_total[$__rate_interval]))', legend: 'rooms reseeded' },
            ],
            unit: 'short',
            min: 0,
          }),
          16,
        ),
        sized(
          timeseries({
            title: 'Messages per publish call',
            description: 'Messages each publish script call to Redis carried: the publishes a process made in one event-loop turn, per partition (REDIS_PUBLISH_BATCH_MAX). Near 1 at moderate rates; it grows with bursts, and with it the Redis cost per message falls.',
            queries: [0.5, 0.99].map((q) => ({
              expr: `histogram_quantile(${q}, sum by (le) (rate(parley_publish_batch_messages_bucket[${RI}])))`,
              legend: `p${q * 100}`,
            })),
            unit: 'short',
            min: 0,
          }),
          8,
        ),
      ],
    },
    {
      title: 'Resources',
      panels: [
        sized(
          timeseries({
            title: 'CPU by service',
            description: 'CPU cores in use, summed over each service\'s pods.',
            queries: [{ expr: `sum by (service) (rate(parley_process_process_cpu_seconds_total[${RI}]))`, legend: '{{service}}' }],
            unit: 'short',
            min: 0,
          }),
          8,
        ),
        sized(
          timeseries({
            title: 'Largest resident memory by service',
            description: 'The largest pod of each service; the service dashboards show every pod against its limit.',
            queries: [{ expr: 'max by (service) (parley_process_process_resident_memory_bytes)', legend: '{{service}}' }],
            unit: 'bytes',
            min: 0,
          }),
          8,
        ),
        sized(
          timeseries({
            title: 'Worst event loop lag p99 by service',
            description: 'The most delayed event loop of each service. ParleyEventLoopLagHigh fires above 100 ms.',
            queries: [{ expr: 'max by (service) (parley_process_nodejs_eventloop_lag_p99_seconds)', legend: '{{service}}' }],
            unit: 's',
            min: 0,
            thresholds: [0.05, 0.1],
          }),
          8,
        ),
      ],
    },
  ],
}) satisfies Dashboard;
