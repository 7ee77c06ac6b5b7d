/**
 * The targets the generator can drive, as a typed map from kind to lazy
 * loaders. Each half is imported only where it is used: generator threads
 * load the client side alone (never Postgres or the process launchers), the
 * orchestrator loads the server side. A loader that fails (a target not
 * built, say) makes the target "not available" with the reason, and the run
 * goes on without it.
 */
import type { TargetClient, TargetKind, TargetServer } from './target.js';

export const TARGET_KINDS: readonly TargetKind[] = ['parley', 'parley-socketio', 'parley-cluster1', 'parley-cluster3', 'relay', 'socketio'];

export interface TargetStartOptions {
  /** Settings for the target's processes; each reads the variables it knows. */
  env: Record<string, string>;
  /**
   * parley: start without the persistence worker, which the server's
   * `startWorker()` starts later (scenario 6 builds a backlog first). The
   * baselines have no worker and ignore it.
   */
  deferWorker?: boolean;
  /** parley: sockets opt in to multi-message frames (`?batch=1`; Socket.IO: `batch` in the CONNECT auth). The baselines ignore it. */
  batchFrames?: boolean;
  /**
   * parley on a Redis Cluster of its own: how its slots are split over the
   * primaries (testkit/redis-cluster.ts; default `partitions`). The others ignore it.
   */
  redisSlots?: 'even' | 'partitions';
}

export type StartTarget = (options: TargetStartOptions) => Promise<TargetServer>;

const TARGETS: { [K in TargetKind]: { server(): Promise<StartTarget>; client(): Promise<TargetClient> } } = {
  parley: {
    server: async () => (await import('./targets/parley-server.js')).startParleyTarget,
    client: async () => (await import('./targets/parley-client.js')).parleyClient,
  },
  // parley through its gateways' Socket.IO endpoints, with a client on the Socket.IO baseline's codec.
  'parley-socketio': {
    server: async () => {
      const { startParleyTarget } = await import('./targets/parley-server.js');
      return (options) => startParleyTarget(options, { kind: 'parley-socketio', transport: 'socketio' });
    },
    client: async () => (await import('./targets/parley-socketio-client.js')).parleySocketIoClient,
  },
  // parley on a Redis Cluster of the run's own, 1 or 3 primaries; the client is parley's.
  'parley-cluster1': {
    server: async () => parleyOnCluster('parley-cluster1', 1),
    client: async () => (await import('./targets/parley-client.js')).parleyClient,
  },
  'parley-cluster3': {
    server: async () => parleyOnCluster('parley-cluster3', 3),
    client: async () => (await import('./targets/parley-client.js')).parleyClient,
  },
  relay: {
    server: async () => (await import('../baselines/relay/target.js')).startRelayTarget,
    client: async () => (await import('../baselines/relay/target.js')).relayClient,
  },
  socketio: {
    server: async () => (await import('../baselines/socketio/target.js')).startSocketIoTarget,
    client: async () => (await import('../baselines/socketio/target.js')).socketIoClient,
  },
};

async function parleyOnCluster(kind: TargetKind, primaries: number): Promise<StartTarget> {
  const { startParleyTarget } = await import('./targets/parley-server.js');
  return (options) => startParleyTarget(options, { kind, cluster: { primaries, slots: options.redisSlots ?? 'partitions' } });
}

export type Availability<T> = { available: true; value: T } | { available: false; reason: string };

async function load<T>(kind: TargetKind, half: string, loader: () => Promise<T>): Promise<Availability<T>> {
  try {
    return { available: true, value: await loader() };
  } catch (err) {
    return { available: false, reason: `${kind}: the ${half} side failed to load: ${err instanceof Error ? err.message : String(err)}` };
  }
}

export const loadClient = (kind: TargetKind): Promise<Availability<TargetClient>> => load(kind, 'client', TARGETS[kind].client);

export const loadServer = (kind: TargetKind): Promise<Availability<StartTarget>> => load(kind, 'server', TARGETS[kind].server);

/** Both halves, or the reason the target cannot run. */
export async function availability(kind: TargetKind): Promise<Availability<{ start: StartTarget; client: TargetClient }>> {
  const [server, client] = await Promise.all([loadServer(kind), loadClient(kind)]);
  if (!server.available) return server;
  if (!client.available) return client;
  return { available: true, value: { start: server.value, client: client.value } };
}
