/**
 * pino JSON logging. Services create one root logger in main.ts and pass it
 * (or a child) into components; library code never logs through `console`.
 */
import { pino, type Logger } from 'pino';
import type { LogConfig } from './config/slices.js';

export type { Logger };

/**
 * Paths whose values are secrets. Tokens arrive in headers, query strings and
 * bodies; none of them may reach a log line.
 */
const REDACT = [
  'password',
  'token',
  'accessToken',
  'refreshToken',
  '*.password',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["sec-websocket-protocol"]',
];

export function createLogger(config: LogConfig, service: string): Logger {
  return pino({
    level: config.level,
    base: { service, pid: process.pid },
    redact: { paths: REDACT, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
