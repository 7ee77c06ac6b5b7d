/**
 * parley's alert rules: the one source for the plain Prometheus rules file
 * (deploy/prometheus/parley-rules.yaml) and the PrometheusRule
 * (deploy/k8s/monitoring/prometheus-rule.yaml). Run
 * `node dist/deploy/monitoring/build.js` after changing it.
 *
 * Conventions:
 * - `severity: critical` pages (users are affected now or data is at risk);
 *   `warning` goes to a ticket queue (degradation, or capacity running out).
 * - Every alert has a `for:` long enough to ride out one bad scrape, a rollout
 *   or a single slow batch.
 * - Rate windows are 5m, which needs a scrape interval of 1m or less.
 * - Alerts on `up` select targets by job name `parley-<service>`, which the
 *   PodMonitors and deploy/prometheus/prometheus.yml set; every other alert
 *   selects by the `service` label the processes add to each series
 *   (shared/metrics.ts), whatever the scrape configuration.
 */
import { SERVICES, type Service } from '../monitoring/catalog.js';
import { MAX_CONNECTIONS, PERSIST_MAX_BACKLOG } from '../monitoring/defaults.js';

export type Severity = 'warning' | 'critical';

export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: { readonly severity: Severity; readonly service?: Service };
  readonly annotations: { readonly summary: string; readonly description: string; readonly runbook: string };
}

export interface RuleGroup {
  readonly name: string;
  readonly rules: readonly AlertRule[];
}

/** Where each alert's runbook lives: a heading per alert in deploy/README.md. */
export const RUNBOOK_FILE = 'deploy/README.md';
export const runbookAnchor = (alert: string): string => alert.toLowerCase();

interface AlertSpec {
  /**
   * Set when the expression aggregates the `service` label away. Alerts about
   * any process leave it out: their series keep their own `service`, which a
   * static label would overwrite.
   */
  readonly service?: Service;
  readonly severity: Severity;
  readonly for: string;
  readonly expr: string;
  readonly summary: string;
  readonly description: string;
}

function alert(name: string, spec: AlertSpec): AlertRule {
  return {
    alert: name,
    expr: spec.expr,
    for: spec.for,
    labels: spec.service === undefined ? { severity: spec.severity } : { severity: spec.severity, service: spec.service },
    annotations: { summary: spec.summary, description: spec.description, runbook: `${RUNBOOK_FILE}#${runbookAnchor(name)}` },
  };
}

const JOBS = 'parley-(api|gateway|worker)';
/** `up` carries only target labels: derive `service` from the job name so every alert routes by service. */
const withService = (expr: string): string => `label_replace(${expr}, "service", "$1", "job", "parley-(.*)")`;

/**
 * The containers' memory limits in deploy/k8s (deploy/monitoring/artifacts.test.ts keeps them
 * equal). A process holds about its resident set against the limit; the
 * kernel OOM-kills it at the limit.
 */
export const MEMORY_LIMIT_BYTES: Readonly<Record<Service, number>> = {
  api: 512 * 2 ** 20,
  gateway: 1024 * 2 ** 20,
  worker: 512 * 2 ** 20,
};

/** The persistence backlog: every worker reports every partition, so take one value per partition. */
const BACKLOG = 'sum(max by (partition) (parley_worker_stream_lag_messages))';

const availability: RuleGroup = {
  name: 'parley-availability',
  rules: [
    alert('ParleyTargetDown', {
      severity: 'warning',
      for: '5m',
      expr: withService(`up{job=~"${JOBS}"} == 0`),
      summary: '{{ $labels.job }} target {{ $labels.instance }} cannot be scraped',
      description: 'Prometheus has failed to scrape {{ $labels.instance }} ({{ $labels.job }}) for 5 minutes: the process is down, hung, or its ops port is unreachable.',
    }),
    alert('ParleyServiceDown', {
      severity: 'critical',
      for: '2m',
      expr: withService(`sum by (job) (up{job=~"${JOBS}"}) == 0`),
      summary: 'Every {{ $labels.job }} target is down',
      description: 'No {{ $labels.job }} process has answered a scrape for 2 minutes.',
    }),
    alert('ParleyServiceAbsent', {
      severity: 'critical',
      for: '10m',
      // One absent() per job: absent() only labels its result from equality matchers.
      expr: withService(SERVICES.map((s) => `absent(up{job="parley-${s}"})`).join(' or ')),
      summary: 'Prometheus has no {{ $labels.job }} target at all',
      description: 'No target with job {{ $labels.job }} has been discovered for 10 minutes: the Deployment is gone or scaled to zero, or the PodMonitor (or scrape job) is missing.',
    }),
    alert('ParleyProcessRestarting', {
      severity: 'warning',
      // Counting alerts carry their window in the expression; waiting longer would only delay them.
      for: '0m',
      expr: 'changes(parley_process_process_start_time_seconds[30m]) > 2',
      summary: '{{ $labels.service }} {{ $labels.instance }} restarted {{ $value }} times in 30 minutes',
      description: 'The process start time of {{ $labels.instance }} changed {{ $value }} times in 30 minutes: it is crash-looping or being OOM-killed.',
    }),
  ],
};

const gateway: RuleGroup = {
  name: 'parley-gateway',
  rules: [
    alert('ParleyGatewayPublishAckSlow', {
      service: 'gateway',
      severity: 'warning',
      for: '10m',
      // The traffic guard keeps a handful of publishes from deciding a p99.
      expr: [
        'histogram_quantile(0.99, sum by (instance, le) (rate(parley_gateway_publish_ack_seconds_bucket[5m]))) > 0.25',
        'and sum by (instance) (rate(parley_gateway_publish_ack_seconds_count[5m])) > 0.2',
      ].join('\n'),
      summary: 'Gateway {{ $labels.instance }}: publish→ack p99 is {{ $value | humanizeDuration }}',
      description: 'The 99th percentile from receiving a publish frame to sending its ack has been above 250 ms on {{ $labels.instance }} for 10 minutes. The ack waits for the Redis publish script, so Redis latency or a saturated gateway event loop is the usual cause.',
    }),
    alert('ParleyGatewayPublishAckVerySlow', {
      service: 'gateway',
      severity: 'critical',
      for: '5m',
      expr: [
        'histogram_quantile(0.99, sum by (le) (rate(parley_gateway_publish_ack_seconds_bucket[5m]))) > 1',
        'and sum(rate(parley_gateway_publish_ack_seconds_count[5m])) > 0.2',
      ].join('\n'),
      summary: 'Publish→ack p99 across all gateways is {{ $value | humanizeDuration }}',
      description: 'Across all gateways, 1 % of publishes have waited more than a second for their ack, for 5 minutes: users see their own messages hang before they appear as sent.',
    }),
    alert('ParleyGatewayBackendUnavailable', {
      service: 'gateway',
      severity: 'critical',
      for: '5m',
      // The gateway has no Redis connection metric; these three are what clients see when a backend is gone.
      expr: [
        'sum by (instance) (rate(parley_gateway_errors_sent_total{code="unavailable"}[5m])) > 0',
        'or sum by (instance) (rate(parley_gateway_upgrades_total{outcome="unavailable"}[5m])) > 0',
        'or sum by (instance) (rate(parley_gateway_closes_total{code="1013"}[5m])) > 0',
      ].join('\n'),
      summary: 'Gateway {{ $labels.instance }} is answering `unavailable`',
      description: 'For 5 minutes {{ $labels.instance }} has sent `unavailable` error frames, refused upgrades as `unavailable`, or closed sockets with 1013: it cannot reach Redis, Postgres, or the api\'s JWKS endpoint.',
    }),
    alert('ParleyGatewayErrorRateHigh', {
      service: 'gateway',
      severity: 'warning',
      for: '15m',
      // shutting_down is every deploy's normal; it has nothing to fix.
      expr: [
        'sum by (code) (rate(parley_gateway_errors_sent_total{code!="shutting_down"}[5m]))',
        '/ ignoring (code) group_left sum(rate(parley_gateway_frames_received_total[5m]))',
        '> 0.05',
      ].join('\n'),
      summary: 'Gateways answer {{ $value | humanizePercentage }} of frames with `{{ $labels.code }}`',
      description: 'For 15 minutes, error frames with code {{ $labels.code }} have been more than 5 % of the frames clients send.',
    }),
    alert('ParleyGatewayUpgradesRejected', {
      service: 'gateway',
      severity: 'warning',
      for: '15m',
      // Capacity and drain refusals have their own alert or none (see ParleyGatewayConnectionsRefused).
      expr: [
        'sum by (outcome) (rate(parley_gateway_upgrades_total{outcome!~"accepted|shutting_down|too_many_connections"}[5m]))',
        '/ ignoring (outcome) group_left sum(rate(parley_gateway_upgrades_total[5m]))',
        '> 0.2',
      ].join('\n'),
      summary: '{{ $value | humanizePercentage }} of connection attempts fail with `{{ $labels.outcome }}`',
      description: 'For 15 minutes more than 20 % of upgrade attempts have been refused with {{ $labels.outcome }}.',
    }),
    alert('ParleyGatewayConnectionsNearLimit', {
      service: 'gateway',
      severity: 'warning',
      for: '5m',
      // The limit is not exported as a metric: a deployment that overrides GATEWAY_MAX_CONNECTIONS must change this.
      // Both transports count against the one per-process limit.
      expr: `sum by (instance) (parley_gateway_connections) > 0.8 * ${MAX_CONNECTIONS}`,
      summary: 'Gateway {{ $labels.instance }} holds {{ $value }} connections',
      description: `{{ $labels.instance }} holds more than 80 % of GATEWAY_MAX_CONNECTIONS (threshold assumes the default, ${MAX_CONNECTIONS}); past it, upgrades are refused with too_many_connections.`,
    }),
    alert('ParleyGatewayConnectionsRefused', {
      service: 'gateway',
      severity: 'warning',
      for: '5m',
      expr: 'sum by (instance) (rate(parley_gateway_upgrades_total{outcome="too_many_connections"}[5m])) > 0',
      summary: 'Gateway {{ $labels.instance }} refuses connections at its limit',
      description: '{{ $labels.instance }} has been at GATEWAY_MAX_CONNECTIONS for 5 minutes and answers new upgrades with 503 too_many_connections.',
    }),
  ],
};

const persistence: RuleGroup = {
  name: 'parley-persistence',
  rules: [
    alert('ParleyPublishesRefused', {
      service: 'gateway',
      severity: 'critical',
      for: '1m',
      expr: 'sum(rate(parley_gateway_errors_sent_total{code="overloaded"}[5m])) > 0',
      summary: 'Publishes are refused: the persistence backlog is full',
      description: 'Gateways answer publishes with `overloaded` because a persistence stream partition holds PERSIST_MAX_BACKLOG unpersisted messages. Nobody can send to the rooms of that partition until the workers catch up.',
    }),
    alert('ParleyPersistenceBacklogNearLimit', {
      service: 'worker',
      severity: 'critical',
      for: '5m',
      // As above for PERSIST_MAX_BACKLOG.
      expr: `max by (partition) (parley_worker_stream_lag_messages) > 0.5 * ${PERSIST_MAX_BACKLOG}`,
      summary: 'Persistence partition {{ $labels.partition }} holds {{ $value }} unpersisted messages',
      description: `Partition {{ $labels.partition }} is past half of PERSIST_MAX_BACKLOG (threshold assumes the default, ${PERSIST_MAX_BACKLOG}); at the limit every publish to its rooms is refused.`,
    }),
    alert('ParleyPersistenceBacklogGrowing', {
      service: 'worker',
      severity: 'warning',
      for: '15m',
      expr: `${BACKLOG} > 1000\nand deriv(${BACKLOG}[15m:1m]) > 0`,
      summary: 'The persistence backlog ({{ $value }} messages) keeps growing',
      description: 'Messages are queued for Postgres faster than the workers store them, and have been for 15 minutes.',
    }),
    alert('ParleyPersistenceLagging', {
      service: 'worker',
      severity: 'warning',
      for: '10m',
      expr: 'histogram_quantile(0.99, sum by (le) (rate(parley_worker_persist_latency_seconds_bucket[5m]))) > 30',
      summary: 'Messages reach Postgres {{ $value | humanizeDuration }} after being accepted (p99)',
      description: 'For 10 minutes the 99th percentile from accepting a message to committing its row has been above 30 s. History still shows them (it merges the Redis room log); search does not.',
    }),
    alert('ParleyWorkerNotConsuming', {
      service: 'worker',
      severity: 'critical',
      for: '10m',
      expr: `${BACKLOG} > 0\nand on () sum(rate(parley_worker_batch_size_count[5m])) == 0`,
      summary: 'Workers process nothing while {{ $value }} messages wait',
      description: 'The persistence streams hold messages but no worker has finished a batch for 10 minutes.',
    }),
    alert('ParleyWorkerRedisUnreachable', {
      service: 'worker',
      severity: 'critical',
      for: '2m',
      // The backlog gauges are read from Redis at scrape time and left empty when it does not answer.
      expr: 'up{job="parley-worker"} == 1\nunless on (instance) count by (instance) (parley_worker_stream_lag_messages)',
      summary: 'Worker {{ $labels.instance }} cannot read the persistence streams',
      description: '{{ $labels.instance }} answers scrapes but reports no backlog gauges: it cannot reach Redis.',
    }),
    alert('ParleyWorkerErrors', {
      service: 'worker',
      severity: 'warning',
      for: '10m',
      expr: 'sum by (instance) (rate(parley_worker_errors_total[5m])) > 0',
      summary: 'Worker {{ $labels.instance }} keeps failing batches',
      description: 'For 10 minutes {{ $labels.instance }} has had Redis or Postgres operations fail; each failed batch is retried after WORKER_RETRY_BACKOFF_MS.',
    }),
    alert('ParleyDeadLetters', {
      service: 'worker',
      severity: 'warning',
      for: '0m', // the 15m window is in the expression
      // The second half catches a series created by its first increment, which increase() cannot see.
      expr: [
        'sum by (reason) (',
        '  increase(parley_worker_dead_letters_total{reason!="seq_conflict"}[15m]) > 0',
        '  or (parley_worker_dead_letters_total{reason!="seq_conflict"} unless parley_worker_dead_letters_total offset 15m)',
        ') > 0',
      ].join('\n'),
      summary: 'Messages were moved to the dead-letter stream ({{ $labels.reason }})',
      description: "{{ $value }} persistence entries could not be stored in the last 15 minutes (reason {{ $labels.reason }}) and were copied to the partition's dead-letter stream, `<REDIS_KEY_PREFIX>{p<N>}:persist:dead`.",
    }),
    alert('ParleySeqConflicts', {
      service: 'worker',
      severity: 'critical',
      for: '0m', // the 15m window is in the expression
      expr: 'sum(increase(parley_worker_seq_conflicts_total[15m])) > 0',
      summary: 'Two messages claimed the same (room, seq)',
      description: 'The worker found a room sequence number already held by another message: a room counter went backwards (Redis data loss or a restore). The later message is in the dead-letter stream, not in history.',
    }),
  ],
};

/** A counter's increase over 15m, including a series created by its first increment (which increase() cannot see). */
const increased = (metric: string, by: string): string =>
  [`sum by (${by}) (`, `  increase(${metric}[15m]) > 0`, `  or (${metric} unless ${metric} offset 15m)`, ') > 0'].join('\n');

const delivery: RuleGroup = {
  name: 'parley-delivery',
  rules: [
    alert('ParleyRedisDataLoss', {
      severity: 'critical',
      for: '0m', // the 15m window is in the expression
      expr: increased('parley_redis_data_loss_total', 'partition'),
      summary: 'Redis lost the data of persistence partition {{ $labels.partition }}',
      description:
        'A partition\'s Redis epoch was missing or had to be replaced: Redis restarted without its data, failed over to a replica that lagged, or lost acknowledged writes. Acked messages not yet in Postgres may be lost; their rooms were reseeded past them (no seq is reused) and clients were told the range as a gap.',
    }),
    alert('ParleySeqRegression', {
      service: 'gateway',
      severity: 'critical',
      for: '0m',
      expr: increased('parley_gateway_seq_regressions_total', 'instance'),
      summary: 'Gateway {{ $labels.instance }} saw a room seq go backwards',
      description:
        'A room counter in Redis went below a seq already relayed: Redis lost writes it had acknowledged (an unclean failover or restart). The epoch was replaced so that no seq is reused from then on; seqs assigned before that may have been given twice.',
    }),
    alert('ParleyGatewayFanoutProbeFailing', {
      service: 'gateway',
      severity: 'critical',
      for: '1m',
      // The bound is GATEWAY_PROBE_MAX_FAILURES; the threshold assumes its default.
      expr: 'max by (instance) (parley_gateway_fanout_probe_consecutive_failures) >= 3',
      summary: 'Gateway {{ $labels.instance }} does not receive its own fan-out probes',
      description:
        'For a minute {{ $labels.instance }} has published probes through Redis and not received them back through its subscriber connection: live messages do not reach its sockets. It reports not ready (no new sockets) and keeps reconnecting its subscriber.',
    }),
    alert('ParleyGatewayGapsAnnounced', {
      service: 'gateway',
      severity: 'warning',
      for: '0m',
      expr: increased('parley_gateway_gaps_announced_total', 'instance'),
      summary: 'Gateway {{ $labels.instance }} could not repair live delivery and announced gaps',
      description:
        'Messages pub/sub did not deliver were no longer in the room log when {{ $labels.instance }} tried to repair them, so clients were sent `gap` frames and read them from history. Expected after a Redis data loss; otherwise the subscriber was down for longer than the room log window (ROOM_LOG_MAXLEN) lasts.',
    }),
  ],
};

const api: RuleGroup = {
  name: 'parley-api',
  rules: [
    alert('ParleyApiErrorRatioHigh', {
      service: 'api',
      severity: 'warning',
      for: '10m',
      expr: 'sum(rate(parley_api_requests_total{status=~"5.."}[5m])) / sum(rate(parley_api_requests_total[5m])) > 0.02',
      summary: '{{ $value | humanizePercentage }} of api requests fail with 5xx',
      description: 'More than 2 % of HTTP requests have answered 5xx for 10 minutes.',
    }),
    alert('ParleyApiErrorRatioCritical', {
      service: 'api',
      severity: 'critical',
      for: '5m',
      expr: 'sum(rate(parley_api_requests_total{status=~"5.."}[5m])) / sum(rate(parley_api_requests_total[5m])) > 0.1',
      summary: '{{ $value | humanizePercentage }} of api requests fail with 5xx',
      description: 'More than 10 % of HTTP requests have answered 5xx for 5 minutes.',
    }),
    alert('ParleyApiLatencyHigh', {
      service: 'api',
      severity: 'warning',
      for: '15m',
      // Uploads and downloads last as long as the transfer: their latency says nothing about the api.
      expr: 'histogram_quantile(0.99, sum by (le) (rate(parley_api_request_duration_seconds_bucket{route!~"/v1/uploads.*|/v1/files/.*"}[5m]))) > 1',
      summary: 'api p99 latency is {{ $value | humanizeDuration }}',
      description: 'The 99th percentile of api request latency (uploads and downloads excluded) has been above 1 s for 15 minutes.',
    }),
  ],
};

const runtime: RuleGroup = {
  name: 'parley-runtime',
  rules: [
    alert('ParleyEventLoopLagHigh', {
      severity: 'warning',
      for: '10m',
      expr: 'avg_over_time(parley_process_nodejs_eventloop_lag_p99_seconds[5m]) > 0.1',
      summary: '{{ $labels.service }} {{ $labels.instance }}: event loop p99 lag is {{ $value | humanizeDuration }}',
      description: 'The event loop of {{ $labels.instance }} has been blocked for more than 100 ms at the 99th percentile for 10 minutes; every frame, request and batch on it waits that long.',
    }),
    alert('ParleyMemoryNearLimit', {
      severity: 'warning',
      for: '10m',
      expr: (Object.entries(MEMORY_LIMIT_BYTES) as [Service, number][])
        .map(([service, limit]) => `parley_process_process_resident_memory_bytes{service="${service}"} / ${limit} > 0.9`)
        .join('\nor '),
      summary: '{{ $labels.service }} {{ $labels.instance }} uses {{ $value | humanizePercentage }} of its memory limit',
      description: 'The resident memory of {{ $labels.instance }} has been above 90 % of its container limit for 10 minutes; at the limit it is OOM-killed.',
    }),
    alert('ParleyFileDescriptorsNearLimit', {
      severity: 'warning',
      for: '5m',
      expr: 'parley_process_process_open_fds / parley_process_process_max_fds > 0.8',
      summary: '{{ $labels.service }} {{ $labels.instance }} uses {{ $value | humanizePercentage }} of its file descriptors',
      description: 'Each WebSocket holds a file descriptor; at the limit the process can accept no connection and open no file.',
    }),
  ],
};

export const RULE_GROUPS: readonly RuleGroup[] = [availability, gateway, delivery, persistence, api, runtime];
