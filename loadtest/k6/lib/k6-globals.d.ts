/**
 * k6 provides `console` to scripts, but @types/k6 does not declare it, and the
 * DOM lib would also declare browser globals (fetch, window, …) that k6 lacks.
 */
declare const console: {
  log(...values: unknown[]): void;
  info(...values: unknown[]): void;
  warn(...values: unknown[]): void;
  error(...values: unknown[]): void;
};
