import Type, { type Static } from 'typebox';
import { ConfigError, loadConfig, parsedSlice, setting } from '../shared/config/env.js';
import { SOCKETIO_PATH } from '../shared/protocol/socketio.js';
import {
  LogConfig,
  PostgresConfig,
  RedisConfig,
  StreamsConfig,
  TokenClaimsConfig,
  PresenceConfig,
  opsConfig,
} from '../shared/config/slices.js';

export const SocketConfig = Type.Object({
  /** The address the WebSocket listener binds: all interfaces by default, as containers need; `make up` binds 127.0.0.1. */
  host: setting.host('GATEWAY_HOST', { default: '0.0.0.0' }),
  /** Several gateway processes may listen on one port (SO_REUSEPORT); the kernel spreads connections. */
  port: setting.integer('GATEWAY_PORT', { default: 8081, minimum: 0, maximum: 65535 }),
  /** Upgrades beyond this many open sockets in this process get 503 too_many_connections. */
  maxConnections: setting.integer('GATEWAY_MAX_CONNECTIONS', { default: 100_000, minimum: 1 }),
  /** Frames larger than this get a `frame_too_large` error frame; the socket stays open. */
  maxFrameBytes: setting.integer('GATEWAY_MAX_FRAME_BYTES', { default: 16_384, minimum: 256 }),
  /** Frames larger than this are not even buffered: the socket is closed with 1009. Must be ≥ GATEWAY_MAX_FRAME_BYTES. */
  maxPayloadBytes: setting.integer('GATEWAY_MAX_PAYLOAD_BYTES', { default: 65_536, minimum: 256 }),
  /** Largest message body, in UTF-8 bytes. */
  maxMessageBytes: setting.integer('GATEWAY_MAX_MESSAGE_BYTES', { default: 4_096, minimum: 1 }),
  /** A socket silent this long (no frame, no pong) is closed; the server pings automatically before that. */
  idleTimeoutSeconds: setting.integer('GATEWAY_IDLE_TIMEOUT_SECONDS', { default: 120, minimum: 8, maximum: 960 }),
  /** Bytes queued for a slow socket before it is closed, so one slow reader cannot exhaust memory. */
  maxBackpressureBytes: setting.integer('GATEWAY_MAX_BACKPRESSURE_BYTES', { default: 1_048_576, minimum: 1024 }),
  /** Token bucket per socket for `publish`: messages per second, and the burst it may save up. */
  publishRatePerConnection: setting.number('GATEWAY_PUBLISH_RATE_PER_CONNECTION', { default: 10, exclusiveMinimum: 0 }),
  publishBurstPerConnection: setting.integer('GATEWAY_PUBLISH_BURST_PER_CONNECTION', { default: 20, minimum: 1 }),
  /** Token bucket per user across all their sockets on one gateway process. */
  publishRatePerUser: setting.number('GATEWAY_PUBLISH_RATE_PER_USER', { default: 20, exclusiveMinimum: 0 }),
  publishBurstPerUser: setting.integer('GATEWAY_PUBLISH_BURST_PER_USER', { default: 40, minimum: 1 }),
  /** Token bucket per socket for `typing`. */
  typingRatePerConnection: setting.number('GATEWAY_TYPING_RATE_PER_CONNECTION', { default: 1, exclusiveMinimum: 0 }),
  typingBurstPerConnection: setting.integer('GATEWAY_TYPING_BURST_PER_CONNECTION', { default: 3, minimum: 1 }),
  /** How long a typing indicator shows without a new `typing` frame. */
  typingTtlMs: setting.integer('GATEWAY_TYPING_TTL_MS', { default: 5000, minimum: 500, maximum: 60_000 }),
  /** Refused frames in a row (rate limits) after which the socket is closed with 1008. */
  abuseRejections: setting.integer('GATEWAY_ABUSE_REJECTIONS', { default: 50, minimum: 1 }),
  /** On SIGTERM: how long in-flight publishes may take before sockets are closed with 1012. */
  drainTimeoutMs: setting.integer('GATEWAY_DRAIN_TIMEOUT_MS', { default: 10_000, minimum: 0 }),
  /**
   * On SIGTERM: the 1012 closes are spread evenly over this window, so that
   * clients do not all reconnect elsewhere in the same instant. 0 closes all at once.
   */
  drainSpreadMs: setting.integer('GATEWAY_DRAIN_SPREAD_MS', { default: 5_000, minimum: 0, maximum: 120_000 }),
});
export type SocketConfig = Static<typeof SocketConfig>;

/**
 * The Socket.IO transport (socketio/attach.ts), on the same port as the raw
 * endpoint. Its frame, message, rate and connection limits are the raw
 * endpoint's (SocketConfig); these are what only Socket.IO has.
 */
const SocketIoSettings = Type.Object({
  /** Off: the path answers 404 like any unknown path, and no adapter connects to Redis. */
  enabled: setting.boolean('GATEWAY_SOCKETIO', { default: true }),
  path: setting.string('GATEWAY_SOCKETIO_PATH', { default: SOCKETIO_PATH, pattern: '^/([A-Za-z0-9._~-]+/)+$' }),
  /** `websocket`, `polling` or both (comma-separated); polling needs sticky routing (deploy/README.md). */
  transports: setting.string('GATEWAY_SOCKETIO_TRANSPORTS', { default: 'polling,websocket', pattern: '^(polling|websocket)(,(polling|websocket))?$' }),
  /** Engine.IO heartbeat: the server pings this often, and drops a client whose pong is later than the timeout. */
  pingIntervalMs: setting.integer('GATEWAY_SOCKETIO_PING_INTERVAL_MS', { default: 25_000, minimum: 1000 }),
  pingTimeoutMs: setting.integer('GATEWAY_SOCKETIO_PING_TIMEOUT_MS', { default: 20_000, minimum: 1000 }),
  /**
   * Browser origins allowed to long-poll (CORS, with credentials so the
   * load balancer's sticky cookie is sent), comma-separated; empty: none
   * (same-origin pages and non-browser clients only). WebSocket needs no CORS.
   */
  corsOrigins: setting.string('GATEWAY_SOCKETIO_CORS_ORIGINS', { default: '' }),
  /** An Engine.IO session whose Socket.IO CONNECT (with the token) has not come within this long is closed. */
  connectTimeoutMs: setting.integer('GATEWAY_SOCKETIO_CONNECT_TIMEOUT_MS', { default: 10_000, minimum: 100 }),
  /** How often Socket.IO sockets are checked against GATEWAY_MAX_BACKPRESSURE_BYTES (see socketio/attach.ts). */
  backpressureCheckMs: setting.integer('GATEWAY_SOCKETIO_BACKPRESSURE_CHECK_MS', { default: 1000, minimum: 50 }),
});

export const SocketIoConfig = parsedSlice(SocketIoSettings, (raw, problems) => {
  const corsOrigins = raw.corsOrigins.split(',').map((o) => o.trim()).filter(Boolean);
  for (const origin of corsOrigins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) problems.push(`GATEWAY_SOCKETIO_CORS_ORIGINS: ${JSON.stringify(origin)} is not an origin (scheme://host[:port])`);
  }
  return { ...raw, transports: [...new Set(raw.transports.split(','))] as ('polling' | 'websocket')[], corsOrigins };
});
export type SocketIoConfig = Static<typeof SocketIoConfig>;

/** The relay's gap repair and the delivery-proving probe (see fanout/relay.ts, probe.ts). */
export const FanoutConfig = Type.Object({
  /** Live messages a room holds while its gap is read from the log; past this the gap is announced instead. */
  repairMaxPending: setting.integer('GATEWAY_REPAIR_MAX_PENDING', { default: 10_000, minimum: 1 }),
  /** First retry delay of a room log read that failed during a repair (doubles up to 2 s). */
  repairRetryMs: setting.integer('GATEWAY_REPAIR_RETRY_MS', { default: 100, minimum: 1 }),
  /** How often the gateway sends a probe through its own fan-out path. */
  probeIntervalMs: setting.integer('GATEWAY_PROBE_INTERVAL_MS', { default: 2_000, minimum: 50 }),
  /** A probe not back within this long has failed. */
  probeTimeoutMs: setting.integer('GATEWAY_PROBE_TIMEOUT_MS', { default: 1_000, minimum: 10 }),
  /** Probes failed in a row before /readyz fails and the subscriber link is reconnected. */
  probeMaxFailures: setting.integer('GATEWAY_PROBE_MAX_FAILURES', { default: 3, minimum: 1 }),
});
export type FanoutConfig = Static<typeof FanoutConfig>;

export const GatewayAuthConfig = Type.Object({
  ...TokenClaimsConfig.properties,
  jwksUrl: setting.string('AUTH_JWKS_URL', { default: 'http://127.0.0.1:8080/.well-known/jwks.json', pattern: '^https?://' }),
  /** Keys are refetched after this long, and at once (rate-limited) when a token names an unknown kid. */
  jwksCacheMaxAgeMs: setting.integer('AUTH_JWKS_CACHE_MAX_AGE_MS', { default: 600_000, minimum: 1000 }),
  jwksCooldownMs: setting.integer('AUTH_JWKS_COOLDOWN_MS', { default: 30_000, minimum: 0 }),
});
export type GatewayAuthConfig = Static<typeof GatewayAuthConfig>;

export const GatewayConfig = Type.Object({
  log: LogConfig,
  redis: RedisConfig,
  postgres: PostgresConfig,
  ops: opsConfig(9100),
  socket: SocketConfig,
  socketio: SocketIoConfig,
  fanout: FanoutConfig,
  auth: GatewayAuthConfig,
  streams: StreamsConfig,
  presence: PresenceConfig,
});
export type GatewayConfig = Static<typeof GatewayConfig>;

export function loadGatewayConfig(env: Record<string, string | undefined> = process.env): GatewayConfig {
  const config = loadConfig(GatewayConfig, env);
  if (config.socket.maxPayloadBytes < config.socket.maxFrameBytes) {
    throw new ConfigError([
      `GATEWAY_MAX_PAYLOAD_BYTES (${config.socket.maxPayloadBytes}) must be ≥ GATEWAY_MAX_FRAME_BYTES (${config.socket.maxFrameBytes})`,
    ]);
  }
  if (config.fanout.probeTimeoutMs >= config.fanout.probeIntervalMs) {
    throw new ConfigError([
      `GATEWAY_PROBE_TIMEOUT_MS (${config.fanout.probeTimeoutMs}) must be below GATEWAY_PROBE_INTERVAL_MS (${config.fanout.probeIntervalMs})`,
    ]);
  }
  return config;
}
