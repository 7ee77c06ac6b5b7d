/**
 * A TCP proxy standing in for a load balancer in front of the gateways: it
 * forwards every new connection to the current target, can be pointed at
 * another gateway, and can refuse connections for a while (a balancer that
 * has not noticed a dead backend yet). Connections keep their target; when
 * either side closes, so does the other, as with a real balancer.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface SwitchableProxy {
  /** ws://127.0.0.1:<port>/v1/ws */
  url: string;
  port: number;
  /** New connections go to this port on 127.0.0.1. */
  target(port: number): void;
  /** New connections are closed at once until `target` is called again. */
  refuse(): void;
  close(): Promise<void>;
}

export async function startSwitchableProxy(port: number, initialTarget: number): Promise<SwitchableProxy> {
  let target: number | null = initialTarget;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    if (target === null) {
      client.destroy();
      return;
    }
    const upstream = connect(target, '127.0.0.1');
    sockets.add(upstream);
    upstream.on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    url: `ws://127.0.0.1:${port}/v1/ws`,
    port,
    target: (next) => void (target = next),
    refuse: () => void (target = null),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
