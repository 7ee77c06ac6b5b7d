/** The gateway: WebSocket connections, frames, publish→ack latency, errors and the Redis relay, per pod. */
import type { Dashboard } from '@grafana/schema';
import { dashboard, labelVariable, sized } from '../lib/layout.js';
import { timeseries } from '../lib/panels.js';
import { processRow } from '../lib/process-row.js';
import { MAX_CONNECTIONS } from '../../monitoring/defaults.js';

const RI = '$__rate_interval';
const I = 'instance=~"$instance"';
const ACK = 'parley_gateway_publish_ack_seconds';

export const gatewayDashboard = dashboard({
  uid: 'parley-gateway',
  title: 'parley / gateway',
  description: 'WebSocket gateways: connections, frames, publish→ack latency, errors and the Redis relay.',
  variables: [labelVariable('instance', 'Gateway', 'parley_gateway_connections')],
  rows: [
    {
      title: 'Connections',
      panels: [
        sized(
          timeseries({
            title: 'Open connections',
            description: `Open connections per gateway process and transport (websocket: /v1/ws; socketio: the Socket.IO endpoint), stacked. Both transports count against GATEWAY_MAX_CONNECTIONS (default ${MAX_CONNECTIONS} per process).`,
            queries: [{ expr: `sum by (instance, transport) (parley_gateway_connections{${I}})`, legend: '{{instance}} {{transport}}' }],
            unit: 'short',
            stack: true,
            min: 0,
          }),
          12,
        ),
        sized(
          timeseries({
            title: 'Connects by outcome',
            description: 'Connection attempts per second (WebSocket upgrades and Socket.IO connects), by transport: `accepted`, or the error code the attempt was refused with (unauthorized, too_many_connections, unavailable, shutting_down…; and, apart, the requests Engine.IO refuses before any connect: a steady unknown_sid means sticky routing fails, a burst after a deploy is the old pods\' sessions polling).',
            queries: [
              { expr: `sum by (transport, outcome) (rate(parley_gateway_upgrades_total{${I}}[${RI}]))`, legend: '{{transport}} {{outcome}}' },
              { expr: `sum by (reason) (rate(parley_gateway_socketio_request_errors_total{${I}}[${RI}]))`, legend: 'engine.io refused: {{reason}}' },
            ],
            unit: 'ops',
            min: 0,
          }),
          12,
        ),
        sized(
          timeseries({
            title: 'Closes by code',
            description: '1000 normal, 1001 client going away, 1006 dropped without a close frame (network, idle timeout, slow reader over GATEWAY_MAX_BACKPRESSURE_BYTES), 1008 policy (revoked session, abuse), 1012 gateway restarting, 1013 room subscription failed.',
            queries: [{ expr: `sum by (code) (rate(parley_gateway_closes_total{${I}}[${RI}]))`, legend: '{{code}}' }],
            unit: 'ops',
            min: 0,
          }),
          12,
        ),
        sized(
          timeseries({
            title: 'Rooms subscribed in Redis',
            description: 'Rooms each gateway holds a Redis subscription for: rooms with at least one local socket.',
            queries: [{ expr: `sum by (instance) (parley_gateway_room_subscriptions{${I}})`, legend: '{{instance}}' }],
            unit: 'short',
            min: 0,
          }),
          12,
        ),
      ],
    },
    {
      title: 'Frames',
      panels: [
        sized(
          timeseries({
            title: 'Frames received by type',
            description: 'Client frames per second by type; `invalid` counts undecodable, binary and oversized frames.',
            queries: [{ expr: `sum by (type) (rate(parley_gateway_frames_received_total{${I}}[${RI}]))`, legend: '{{type}}' }],
            unit: 'ops',
            min: 0,
          }),
          12,
        ),
        sized(
          timeseries({
            title: 'Frames sent by type',
            description: 'Server frames per second by type. Fan-out counts each recipient, so `message` is deliveries.',
            queries: [{ expr: `sum by (type) (rate(parley_gateway_frames_sent_total{${I}}[${RI}]))`, legend: '{{type}}' }],
            unit: 'ops',
            min: 0,
          }),
          12,
        ),
        sized(
          timeseries({
            title: 'Deliveries by gateway',
            description: 'Message frames written to sockets per second, per gateway.',
            queries: [{ expr: `sum by (instance) (rate(parley_gateway_frames_sent_total{type="message", ${I}}[${RI}]))`, legend: '{{instance}}' }],
            unit: 'ops',
            stack: true,
            min: 0,
          }),
          12,
        ),
        sized(
          timeseries({
            title: 'Presence and typing fan-out',
            description: 'Presence and typing frames written to sockets per second: the ephemeral traffic, which grows with room sizes.',
            queries: [{ expr: `sum by (type) (rate(parley_gateway_frames_sent_total{type=~"presence|typing", ${I}}[${RI}]))`, legend: '{{type}}' }],
            unit: 'ops',
            min: 0,
          }),
          12,
        ),
      ],
    },
    {
      title: 'Publish → ack',
      panels: [
        sized(
          timeseries({
            title: 'Publish→ack latency',
            description: 'From receiving a publish frame to sending its ack (sequenced, in the room log and queued for persistence). Lines mark ParleyGatewayPublishAckSlow (250 ms p99) and …VerySlow (1 s).',
            queries: [0.5, 0.9, 0.99, 0.999].map((q) => ({
              expr: `histogram_quantile(${q}, sum by (le) (rate(${ACK}_bucket{${I}}[${RI}])))`,
              legend: `p${q * 100}`,
            })),
            unit: 's',
            min: 0,
            thresholds: [0.25, 1],
          }),
          8,
        ),
        sized(
          timeseries({
            title: 'Publish→ack p99 by gateway',
            description: 'One slow gateway (busy event loop, bad network path to Redis) shows here before it moves the fleet percentile.',
            queries: [{ expr: `histogram_quantile(0.99, sum by (instance, le) (rate(${ACK}_bucket{${I}}[${RI}])))`, legend: '{{instance}}' }],
            unit: 's',
            min: 0,
            thresholds: [0.25, 1],
          }),
          8,
        ),
        sized(
          timeseries({
            title: 'Messages accepted',
            description: 'Publishes acked per second per gateway: messages accepted into rooms.',
            queries: [{ expr: `sum by (instance) (rate(${ACK}_count{${I}}[${RI}]))`, legend: '{{instance}}' }],
            unit: 'ops',
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
            title: 'Error frames by code',
            description: 'Error frames sent per second by code. Client mistakes (bad_frame, room_not_found, rate_limited) and server trouble (unavailable, overloaded, internal) both show here.',
            queries: [{ expr: `sum by (code) (rate(parley_gateway_errors_sent_total{${I}}[${RI}]))`, legend: '{{code}}' }],
            unit: 'ops',
            min: 0,
          }),
          12,
        ),
        sized(
          timeseries({
            title: 'Backend trouble seen by clients',
            description: 'What clients get when Redis, Postgres or the JWKS endpoint is unreachable (ParleyGatewayBackendUnavailable), and publishes refused because the persistence backlog is full (ParleyPublishesRefused).',
            queries: [
              { expr: `sum(rate(parley_gateway_errors_sent_total{code="unavailable", ${I}}[${RI}]))`, legend: 'unavailable error frames' },
              { expr: `sum(rate(parley_gateway_upgrades_total{outcome="unavailable", ${I}}[${RI}]))`, legend: 'upgrades refused: unavailable' },
              { expr: `sum(rate(parley_gateway_closes_total{code="1013", ${I}}[${RI}]))`, legend: 'closed 1013: room subscription failed' },
              { expr: `sum(rate(parley_gateway_errors_sent_total{code="overloaded", ${I}}[${RI}]))`, legend: 'publishes refused: overloaded' },
            ],
            unit: 'ops',
            min: 0,
          }),
          12,
        ),
      ],
    },
    {
      title: 'Redis relay and resume',
      panels: [
        sized(
          timeseries({
            title: 'Messages relayed from Redis',
            description: 'Room messages each gateway receives from Redis pub/sub (once per gateway per message, before local fan-out). A gateway at zero while others relay has lost its subscriber connection.',
            queries: [{ expr: `sum by (instance) (rate(parley_gateway_messages_relayed_total{${I}}[${RI}]))`, legend: '{{instance}}' }],
            unit: 'ops',
            min: 0,
          }),
          8,
        ),
        sized(
          timeseries({
            title: 'Resumes',
            description: 'Rooms resumed per second: `recovered=true` when the Redis room log still covered the client position, `false` when the client must fetch history over HTTP.',
            queries: [{ expr: `sum by (recovered) (rate(parley_gateway_resumes_total{${I}}[${RI}]))`, legend: 'recovered={{recovered}}' }],
            unit: 'ops',
            min: 0,
          }),
          8,
        ),
        sized(
          timeseries({
            title: 'Messages replayed to resuming sockets',
            description: 'Messages read back from room logs for resuming sockets. Spikes follow gateway restarts and network blips.',
            queries: [{ expr: `sum by (instance) (rate(parley_gateway_replayed_messages_total{${I}}[${RI}]))`, legend: '{{instance}}' }],
            unit: 'ops',
            min: 0,
          }),
          8,
        ),
      ],
    },
    {
      title: 'Delivery guarantees',
      panels: [
        sized(
          timeseries({
            title: 'Fan-out probe round trip',
            description: 'Each gateway publishes a probe every GATEWAY_PROBE_INTERVAL_MS and must receive it back through its own subscriber connection, the path room messages take. A gateway whose pub/sub died fails it; after GATEWAY_PROBE_MAX_FAILURES in a row it reports not ready (ParleyGatewayFanoutProbeFailing).',
            queries: [
              { expr: `histogram_quantile(0.99, sum by (instance, le) (rate(parley_gateway_fanout_probe_seconds_bucket{${I}}[${RI}])))`, legend: 'p99 {{instance}}' },
              { expr: `sum by (instance) (parley_gateway_fanout_probe_consecutive_failures{${I}})`, legend: 'failing in a row {{instance}}' },
              { expr: `sum by (instance) (rate(parley_gateway_fanout_probe_failures_total{${I}}[${RI}]))`, legend: 'failures/s {{instance}}' },
            ],
            unit: 's',
            min: 0,
          }),
          12,
        ),
        sized(
          timeseries({
            title: 'Gap repairs',
            description: 'Rooms a gateway repaired from the room log because pub/sub had not delivered everything, by cause (gap: a seq skipped ahead; resync: the subscriber reconnected; epoch: Redis lost data; regression: a seq seen twice), and the messages delivered that way. Failed log reads are retried.',
            queries: [
              { expr: `sum by (cause) (rate(parley_gateway_gap_repairs_total{${I}}[${RI}]))`, legend: 'repairs: {{cause}}' },
              { expr: `sum(rate(parley_gateway_repaired_messages_total{${I}}[${RI}]))`, legend: 'messages repaired' },
              { expr: `sum(rate(parley_gateway_gap_repair_failures_total{${I}}[${RI}]))`, legend: 'log reads failed' },
            ],
            unit: 'ops',
            min: 0,
          }),
          12,
        ),
        sized(
          timeseries({
            title: 'Gaps announced and seq regressions',
            description: 'Ranges the relay could not repair (the room log no longer held them) and announced to a room with a `gap` frame, so clients read them from history; and seqs seen going backwards (Redis lost acknowledged writes), each of which replaces the epoch (ParleySeqRegression).',
            queries: [
              { expr: `sum by (instance) (rate(parley_gateway_gaps_announced_total{${I}}[${RI}]))`, legend: 'gaps announced {{instance}}' },
              { expr: `sum by (instance) (rate(parley_gateway_seq_regressions_total{${I}}[${RI}]))`, legend: 'regressions {{instance}}' },
            ],
            unit: 'ops',
            min: 0,
          }),
          24,
        ),
      ],
    },
    processRow('gateway'),
  ],
}) satisfies Dashboard;
