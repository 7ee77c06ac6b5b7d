/**
 * The gateway's public entry: with `uws.ts`, the only modules of gateway/
 * that code outside it (testkit/, e2e/, loadtest/, scripts/, deploy/) may
 * import; testkit/boundaries.test.ts enforces it. Tools run the gateway
 * itself as a process (`dist/gateway/main.js`, see testkit/processes.ts).
 *
 * `uws.ts` (the uWebSockets.js binding, for the benchmark's bare relay) is a
 * separate entry rather than re-exported here, so that importing the
 * gateway's settings does not load the native module: the Socket.IO
 * baseline reads SocketConfig, and its memory is measured.
 */

/** The configuration schemas (their `env` annotations are the variables the gateway reads) and the loader. */
export { GatewayConfig, SocketConfig, loadGatewayConfig } from './config.js';
/** The gateway's metrics, for the monitoring artefacts in deploy/. */
export { createGatewayMetrics } from './metrics.js';
