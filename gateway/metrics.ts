import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { LATENCY_BUCKETS } from '../shared/metrics.js';

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;

export function createGatewayMetrics(registry: Registry) {
  const registers = [registry];
  return {
    connections: new Gauge({ name: 'parley_gateway_connections', help: 'Open WebSocket connections', registers }),
    upgrades: new Counter({
      name: 'parley_gateway_upgrades_total',
      help: 'WebSocket upgrade attempts by outcome (accepted or an error code)',
      labelNames: ['outcome'],
      registers,
    }),
    closes: new Counter({
      name: 'parley_gateway_closes_total',
      help: 'Closed connections by close code',
      labelNames: ['code'],
      registers,
    }),
    framesIn: new Counter({
      name: 'parley_gateway_frames_received_total',
      help: 'Frames received from clients by type ("invalid" when undecodable)',
      labelNames: ['type'],
      registers,
    }),
    framesOut: new Counter({
      name: 'parley_gateway_frames_sent_total',
      help: 'Frames sent to clients by type (fan-out counts each recipient)',
      labelNames: ['type'],
      registers,
    }),
    errorsSent: new Counter({
      name: 'parley_gateway_errors_sent_total',
      help: 'Error frames sent, by error code',
      labelNames: ['code'],
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
  };
}
