/**
 * The operations listener every service runs on its own port:
 * - GET /metrics  Prometheus exposition of the process registry;
 * - GET /healthz  liveness: 200 while the event loop answers;
 * - GET /readyz   readiness: 200 while `ready()` is true, 503 while starting or draining.
 * It is separate from the public port so scrapes reach one specific process
 * (two gateways share a public port through SO_REUSEPORT) and so metrics are
 * not exposed to clients.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from './log.js';
import type { OpsConfig } from './config/slices.js';

export interface OpsServer {
  /** The address bound (OPS_HOST resolved: `0.0.0.0`, `127.0.0.1`, …). */
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startOpsServer(
  config: OpsConfig,
  deps: { registry: Registry; logger: Logger; ready: () => boolean },
): Promise<OpsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      deps.registry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': deps.registry.contentType }).end(body),
        (err: unknown) => {
          deps.logger.error({ err }, 'metrics collection failed');
          res.writeHead(500).end();
        },
      );
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    if (path === '/readyz') {
      const ready = deps.ready();
      res
        .writeHead(ready ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: ready ? 'ready' : 'not_ready' }));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { address: host, port } = server.address() as AddressInfo;
  deps.logger.info({ host, port }, 'ops listener started');
  return {
    host,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
