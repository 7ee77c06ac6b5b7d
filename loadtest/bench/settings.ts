/**
 * The environment every target's processes get in a benchmark run. parley
 * reads all of it; the baselines read the same variable names for the
 * settings they share (log level, socket limits), so one environment
 * configures every target and no comparison is between differently tuned
 * servers. The report prints it.
 */
export const BENCH_ENV: Readonly<Record<string, string>> = {
  // Per-connection info logs would cost the servers CPU the benchmark measures.
  LOG_LEVEL: 'warn',
  // The open-file limit (20,000 per process here), not a configured cap, should bound scenario 3.
  GATEWAY_MAX_CONNECTIONS: '1000000',
  // Benchmark publishers send far faster than a person types (testkit/cluster.ts raises these the same way).
  GATEWAY_PUBLISH_RATE_PER_CONNECTION: '100000',
  GATEWAY_PUBLISH_BURST_PER_CONNECTION: '100000',
  GATEWAY_PUBLISH_RATE_PER_USER: '100000',
  GATEWAY_PUBLISH_BURST_PER_USER: '100000',
  // Tokens are minted when a scenario prepares; a long scenario 1 must not outlive them.
  AUTH_ACCESS_TTL_SECONDS: '7200',
};
