/** The Socket.IO baseline's settings: the common ones plus its heartbeat. */
import Type, { type Static } from 'typebox';
import { loadConfig, setting } from '../../../shared/config/env.js';
import { BaselineConfig } from '../config.js';

export const SocketIoConfig = Type.Object({
  ...BaselineConfig.properties,
  /** Socket.IO's own defaults; tests shorten them to see several pings answered. */
  heartbeat: Type.Object({
    pingIntervalMs: setting.integer('SOCKETIO_PING_INTERVAL_MS', { default: 25_000, minimum: 10 }),
    pingTimeoutMs: setting.integer('SOCKETIO_PING_TIMEOUT_MS', { default: 20_000, minimum: 10 }),
  }),
});
export type SocketIoConfig = Static<typeof SocketIoConfig>;

export const loadSocketIoConfig = (env: Record<string, string | undefined> = process.env): SocketIoConfig => loadConfig(SocketIoConfig, env);
