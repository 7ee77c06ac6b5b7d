import { createLogger, type Logger } from '../shared/log.js';

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Silent unless TEST_LOG_LEVEL is set (e.g. `TEST_LOG_LEVEL=debug make test`). */
export function testLogger(): Logger {
  return createLogger({ level: (process.env.TEST_LOG_LEVEL as Level | undefined) ?? 'silent' }, 'test');
}
