/** The persistence worker: throughput, backlog, latency and failures of the Redis stream → Postgres path. */
import type { Dashboard } from '@grafana/schema';
import { dashboard, labelVariable, sized } from '../lib/layout.js';
import { stat, timeseries } from '../lib/panels.js';
import { processRow } from '../lib/process-row.js';
import { CLAIM_MIN_IDLE_MS, PERSIST_MAX_BACKLOG } from '../../monitoring/defaults.js';

const RI = '$__rate_interval';
const I = 'instance=~"$instance"';

/**
 * Every worker reports the length of every partition (the gauges are read
 * from Redis at scrape time), so partitions are combined with max, never sum,
 * and not filtered by instance.
 */
const BACKLOG_BY_PARTITION = 'max by (partition) (parley_worker_stream_lag_messages)';

export const workerDashboard = dashboard({
  uid: 'parley-worker',
  title: 'parley / worker',
  description: 'Persistence workers: messages moving from the Redis persistence streams into Postgres.',
  variables: [labelVariable('instance', 'Worker', 'parley_worker_messages_persisted_total')],
  rows: [
    {
      title: 'Backlog',
      panels: [
        sized(
          stat({
            title: 'Unpersisted messages',
            description: 'Entries in all persistence streams: accepted messages not yet committed to Postgres.',
            queries: [{ expr: `sum(${BACKLOG_BY_PARTITION})` }],
            unit: 'short',
            thresholds: [1000, 0.5 * PERSIST_MAX_BACKLOG],
          }),
          4,
        ),
        sized(
          timeseries({
            title: 'Backlog by partition',
            description: `Entries per persistence stream partition. At PERSIST_MAX_BACKLOG (default ${PERSIST_MAX_BACKLOG}) in one partition, publishes to its rooms are refused with \`overloaded\`; ParleyPersistenceBacklogNearLimit fires at half.`,
            queries: [{ expr: BACKLOG_BY_PARTITION, legend: 'p{{partition}}' }],
            unit: 'short',
            stack: true,
            min: 0,
          }),
          10,
        ),
        sized(
          timeseries({
            title: 'Delivered, not yet acknowledged',
            description: 'Entries read by a worker whose batch has not committed yet, per partition. Entries stuck here belong to a dead or stuck consumer and are claimed after WORKER_CLAIM_MIN_IDLE_MS.',
            queries: [{ expr: 'max by (partition) (parley_worker_pending_messages)', legend: 'p{{partition}}' }],
            unit: 'short',
            stack: true,
            min: 0,
          }),
          10,
        ),
      ],
    },
    {
      title: 'Throughput',
      panels: [
        sized(
          timeseries({
            title: 'Messages persisted',
            description: 'Rows newly written to Postgres per second, per worker.',
            queries: [{ expr: `sum by (instance) (rate(parley_worker_messages_persisted_total{${I}}[${RI}]))`, legend: '{{instance}}' }],
            unit: 'ops',
            stack: true,
            min: 0,
          }),
          8,
        ),
        sized(
          timeseries({
            title: 'Redeliveries and drops',
            description: 'Duplicates: redelivered entries that were already stored (after a crash or a claim; harmless). Dropped: messages of rooms deleted before they were stored.',
            queries: [
              { expr: `sum(rate(parley_worker_duplicates_total{${I}}[${RI}]))`, legend: 'duplicates' },
              { expr: `sum(rate(parley_worker_dropped_total{${I}}[${RI}]))`, legend: 'dropped (room deleted)' },
            ],
            unit: 'ops',
            min: 0,
          }),
          8,
        ),
        sized(
          timeseries({
            title: 'Batches',
            description: 'Batches processed per second per worker, and the mean entries per batch across workers. Under load batches grow towards WORKER_BATCH_SIZE.',
            queries: [
              { expr: `sum by (instance) (rate(parley_worker_batch_size_count{${I}}[${RI}]))`, legend: '{{instance}} batches/s' },
              { expr: `sum(rate(parley_worker_batch_size_sum{${I}}[${RI}])) / sum(rate(parley_worker_batch_size_count{${I}}[${RI}]))`, legend: 'mean batch size' },
            ],
            unit: 'short',
            min: 0,
          }),
          8,
        ),
      ],
    },
    {
      title: 'Latency',
      panels: [
        sized(
          timeseries({
            title: 'Accepted → committed',
            description: 'From a message being accepted by the gateway to its row being committed, first deliveries only. ParleyPersistenceLagging fires when p99 stays above 30 s.',
            queries: [0.5, 0.9, 0.99].map((q) => ({
              expr: `histogram_quantile(${q}, sum by (le) (rate(parley_worker_persist_latency_seconds_bucket{${I}}[${RI}])))`,
              legend: `p${q * 100}`,
            })),
            unit: 's',
            min: 0,
            thresholds: [10, 30],
          }),
          12,
        ),
        sized(
          timeseries({
            title: 'Batch duration',
            description: `Time to process one batch: decode, insert, dead-letter and ack. It must stay well under WORKER_CLAIM_MIN_IDLE_MS (default ${CLAIM_MIN_IDLE_MS / 1000} s), or other workers claim and re-store the batch.`,
            queries: [0.5, 0.99].map((q) => ({
              expr: `histogram_quantile(${q}, sum by (le) (rate(parley_worker_batch_duration_seconds_bucket{${I}}[${RI}])))`,
              legend: `p${q * 100}`,
            })),
            unit: 's',
            min: 0,
          }),
          12,
        ),
      ],
    },
    {
      title: 'Failures',
      panels: [
        sized(
          timeseries({
            title: 'Dead letters by reason',
            description: 'Entries copied to the dead-letter stream per second: `undecodable` (a malformed entry) or `seq_conflict` (another message holds its room seq). Any non-zero value needs an operator; see the ParleyDeadLetters and ParleySeqConflicts runbooks.',
            queries: [{ expr: `sum by (reason) (rate(parley_worker_dead_letters_total{${I}}[${RI}]))`, legend: '{{reason}}' }],
            unit: 'ops',
            min: 0,
          }),
          10,
        ),
        sized(
          stat({
            title: 'Seq conflicts',
            description: 'Messages found holding a (room, seq) that another stored message already has, in the selected time range: a room counter went backwards. Any is an incident; see the ParleySeqConflicts runbook.',
            queries: [{ expr: `sum(increase(parley_worker_seq_conflicts_total{${I}}[$__range]))` }],
            unit: 'short',
            thresholds: [1, 1],
          }),
          4,
        ),
        sized(
          timeseries({
            title: 'Failed batches',
            description: 'Redis or Postgres operations that failed, per worker; the batch stays pending and is retried after WORKER_RETRY_BACKOFF_MS.',
            queries: [{ expr: `sum by (instance) (rate(parley_worker_errors_total{${I}}[${RI}]))`, legend: '{{instance}}' }],
            unit: 'ops',
            min: 0,
          }),
          10,
        ),
      ],
    },
    processRow('worker'),
  ],
}) satisfies Dashboard;
