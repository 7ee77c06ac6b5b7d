/**
 * Settings both baseline servers read from the environment.
 *
 * The socket limits are parley's own settings (same variables, same
 * defaults), so one environment tunes parley and the baselines alike and a
 * run never compares differently configured servers by accident.
 */
import Type, { type Static } from 'typebox';
import { loadConfig, setting } from '../../shared/config/env.js';
import { LogConfig, RedisConfig } from '../../shared/config/slices.js';
import { SocketConfig } from '../../gateway/index.js';

export const BaselineConfig = Type.Object({
  log: LogConfig,
  /** REDIS_KEY_PREFIX is the relay's channel prefix and the Socket.IO adapter's key: one per run keeps runs apart. */
  redis: RedisConfig,
  listen: Type.Object({
    host: setting.string('HOST', { default: '127.0.0.1' }),
    port: setting.integer('PORT', { minimum: 1, maximum: 65535 }),
  }),
  socket: Type.Object({
    maxPayloadBytes: SocketConfig.properties.maxPayloadBytes,
    idleTimeoutSeconds: SocketConfig.properties.idleTimeoutSeconds,
    maxBackpressureBytes: SocketConfig.properties.maxBackpressureBytes,
  }),
});
export type BaselineConfig = Static<typeof BaselineConfig>;

export const loadBaselineConfig = (env: Record<string, string | undefined> = process.env): BaselineConfig =>
  loadConfig(BaselineConfig, env);
