/**
 * The settings parley runs with when nothing overrides them, which the
 * manifests do not. Thresholds and panel texts that depend on a limit the
 * services do not export as a metric read it from here, so they follow the
 * code's defaults instead of repeating numbers.
 */
import { loadGatewayConfig } from '../../gateway/index.js';
import { loadWorkerConfig } from '../../worker/index.js';

const gateway = loadGatewayConfig({});
const worker = loadWorkerConfig({});

/** GATEWAY_MAX_CONNECTIONS: open sockets per gateway process. */
export const MAX_CONNECTIONS = gateway.socket.maxConnections;
/** PERSIST_MAX_BACKLOG: unpersisted messages per partition before publishes are refused. */
export const PERSIST_MAX_BACKLOG = gateway.streams.persistMaxBacklog;
/** WORKER_CLAIM_MIN_IDLE_MS: how long a batch may take before other workers claim its entries. */
export const CLAIM_MIN_IDLE_MS = worker.worker.claimMinIdleMs;
