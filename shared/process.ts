/**
 * Process lifecycle helpers every service's main.ts uses: fail fast with a
 * readable message at startup, and drain once on SIGTERM/SIGINT.
 */
import type { Logger } from './log.js';
import { ConfigError } from './config/env.js';
import { DependencyUnavailableError, EvictionPolicyError, RedisVersionError } from './redis/connect.js';

/**
 * Runs `main`; a configuration or dependency error at startup prints its
 * message (which says what to fix) and exits 1 instead of a stack trace.
 */
export function runMain(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    if (err instanceof ConfigError || err instanceof DependencyUnavailableError || err instanceof EvictionPolicyError || err instanceof RedisVersionError) {
      process.stderr.write(`${err.message}\n`);
    } else {
      process.stderr.write(`fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    }
    process.exit(1);
  });
}

/**
 * Calls `drain` once on the first SIGTERM or SIGINT, then exits 0 (1 if the
 * drain failed or took longer than `timeoutMs`). A second signal exits at once.
 */
export function onShutdown(logger: Logger, timeoutMs: number, drain: (signal: string) => Promise<void>): void {
  let stopping = false;
  const handle = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting immediately');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs }, 'drain timed out');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    drain(signal).then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'drain failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handle);
  process.on('SIGINT', handle);
}

/** Logs instead of crashing on a stray rejection; exceptions still end the process (state is unknown). */
export function installCrashLogging(logger: Logger): void {
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception');
    process.exit(1);
  });
}
