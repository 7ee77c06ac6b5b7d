import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { LATENCY_BUCKETS } from '../shared/metrics.js';

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;

export function createGatewayMetrics(registry: Registry) {
  const registers = [registry];
  return {
    connections: new Gauge({
      name: 'parley_gateway_connections',
      help: 'Open connections by transport (websocket: the raw endpoint; socketio: the Socket.IO endpoint)',
      labelNames: ['transport'],
      registers,
    }),
    upgrades: new Counter({
      name: 'parley_gateway_upgrades_total',
      help: 'Connection attempts (WebSocket upgrades, Socket.IO connects) by outcome (accepted or an error code) and transport',
      labelNames: ['outcome', 'transport'],
      registers,
    }),
    socketIoRequestErrors: new Counter({
      name: 'parley_gateway_socketio_request_errors_total',
      help: 'Socket.IO (Engine.IO) requests refused before any connect, by reason (unknown_sid: a poll after its session ended or on the wrong gateway; forbidden: Engine.IO sessions at the connection limit; …)',
      labelNames: ['reason'],
      registers,
    }),
    closes: new Counter({
      name: 'parley_gateway_closes_total',
      help: 'Closed connections by close code and transport',
      labelNames: ['code', 'transport'],
      registers,
    }),
    framesIn: new Counter({
      name: 'parley_gateway_frames_received_total',
      help: 'Frames received from clients by type ("invalid" when undecodable) and transport',
      labelNames: ['type', 'transport'],
      registers,
    }),
    framesOut: new Counter({
      name: 'parley_gateway_frames_sent_total',
      help: 'Frames sent to clients by type and transport (fan-out counts each recipient)',
      labelNames: ['type', 'transport'],
      registers,
    }),
    errorsSent: new Counter({
      name: 'parley_gateway_errors_sent_total',
      help: 'Error frames sent, by error code and transport',
      labelNames: ['code', 'transport'],
      registers,
    }),
    publishAck: new Histogram({
      name: 'parley_gateway_publish_ack_seconds',
      help: 'Time from receiving a publish frame to sending its ack',
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    roomSubscriptions: new Gauge({
      name: 'parley_gateway_room_subscriptions',
      help: 'Rooms this gateway holds a Redis subscription for',
      registers,
    }),
    resumes: new Counter({
      name: 'parley_gateway_resumes_total',
      help: 'Rooms resumed, by whether the recent log still covered the client position',
      labelNames: ['recovered'],
      registers,
    }),
    replayed: new Counter({
      name: 'parley_gateway_replayed_messages_total',
      help: 'Messages replayed from room logs to resuming sockets',
      registers,
    }),
    relayed: new Counter({
      name: 'parley_gateway_messages_relayed_total',
      help: 'Room messages received from Redis and relayed to local sockets',
      registers,
    }),
    gapRepairs: new Counter({
      name: 'parley_gateway_gap_repairs_total',
      help: 'Room repairs from the room log, by cause (gap: a seq skipped ahead; resync: the subscriber reconnected; epoch: Redis lost data; regression)',
      labelNames: ['cause'] as const,
      registers,
    }),
    gapRepairFailures: new Counter({
      name: 'parley_gateway_gap_repair_failures_total',
      help: 'Room log reads of a repair that failed and were retried',
      registers,
    }),
    repaired: new Counter({
      name: 'parley_gateway_repaired_messages_total',
      help: 'Messages delivered from the room log because pub/sub had not delivered them',
      registers,
    }),
    gapsAnnounced: new Counter({
      name: 'parley_gateway_gaps_announced_total',
      help: 'Ranges the relay could not repair and announced to a room with a gap frame',
      registers,
    }),
    seqRegressions: new Counter({
      name: 'parley_gateway_seq_regressions_total',
      help: 'Seqs seen going backwards in a room (Redis lost acknowledged writes); each replaces the epoch',
      registers,
    }),
    probeLatency: new Histogram({
      name: 'parley_gateway_fanout_probe_seconds',
      help: 'Round trip of a probe through this gateway\'s own fan-out path (publish, Redis, subscriber)',
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    probeFailures: new Counter({
      name: 'parley_gateway_fanout_probe_failures_total',
      help: 'Fan-out probes that did not come back in time',
      registers,
    }),
    probeFailing: new Gauge({
      name: 'parley_gateway_fanout_probe_consecutive_failures',
      help: 'Fan-out probes failed in a row; at GATEWAY_PROBE_MAX_FAILURES the gateway reports not ready',
      registers,
    }),
  };
}
