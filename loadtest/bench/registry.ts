/**
 * Where each target's code lives, loaded with dynamic `import()` so this
 * branch builds and runs whether or not a baseline module exists yet.
 *
 * A baseline module (`loadtest/baselines/<kind>/target.ts`) must export:
 *   export function startServer(options: TargetStartOptions): Promise<TargetServer>;
 *   export const client: TargetClient;
 * parley keeps the two halves in separate modules so generator threads do
 * not load the server side (Postgres, jose, the e2e cluster launcher).
 *
 * A module that is missing, or that does not export both, makes the target
 * "not available" with the reason; the run goes on without it.
 */
import type { TargetClient, TargetKind, TargetServer } from './target.js';

export const TARGET_KINDS: readonly TargetKind[] = ['parley', 'relay', 'socketio'];

export interface TargetStartOptions {
  /**
   * Sockets one socket-holding process must accept: connection caps are
   * raised to at least this (the open-file limit of 20,000 still applies).
   */
  maxConnectionsPerProcess: number;
  /** Log level of the target's processes (per-connection info logs would eat CPU the benchmark measures). */
  logLevel: 'warn' | 'info' | 'error';
}

export type StartServer = (options: TargetStartOptions) => Promise<TargetServer>;

interface Location {
  server: string;
  client: string;
}

/** Paths relative to this module, as compiled into dist/loadtest/bench/. */
const LOCATIONS: Record<TargetKind, Location> = {
  parley: { server: './targets/parley-server.js', client: './targets/parley-client.js' },
  relay: { server: '../baselines/relay/target.js', client: '../baselines/relay/target.js' },
  socketio: { server: '../baselines/socketio/target.js', client: '../baselines/socketio/target.js' },
};

export type Availability<T> = { available: true; value: T } | { available: false; reason: string };

export class TargetUnavailable extends Error {
  constructor(
    readonly kind: TargetKind,
    readonly reason: string,
  ) {
    super(`target ${kind} is not available: ${reason}`);
  }
}

async function importModule(kind: TargetKind, path: string): Promise<Availability<Record<string, unknown>>> {
  const url = new URL(path, import.meta.url);
  try {
    const mod: unknown = await import(url.href);
    return { available: true, value: mod as Record<string, unknown> };
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const missingItself = code === 'ERR_MODULE_NOT_FOUND' && err instanceof Error && err.message.includes(url.pathname);
    if (missingItself) return { available: false, reason: `${kind}: no module at ${url.pathname} (not built or not merged yet)` };
    return { available: false, reason: `${kind}: ${url.pathname} failed to load: ${err instanceof Error ? err.message : String(err)}` };
  }
}

function isClient(value: unknown, kind: TargetKind): value is TargetClient {
  const c = value as Partial<TargetClient> | null;
  return typeof c === 'object' && c !== null && c.kind === kind && typeof c.connect === 'function';
}

export async function loadClient(kind: TargetKind): Promise<Availability<TargetClient>> {
  const mod = await importModule(kind, LOCATIONS[kind].client);
  if (!mod.available) return mod;
  const client = mod.value.client;
  if (!isClient(client, kind)) return { available: false, reason: `${kind}: module does not export \`client: TargetClient\` of kind "${kind}"` };
  return { available: true, value: client };
}

export async function loadServer(kind: TargetKind): Promise<Availability<StartServer>> {
  const mod = await importModule(kind, LOCATIONS[kind].server);
  if (!mod.available) return mod;
  const start = mod.value.startServer;
  if (typeof start !== 'function') return { available: false, reason: `${kind}: module does not export \`startServer(options)\`` };
  return { available: true, value: start as StartServer };
}

/** Both halves, or the reason the target cannot run. */
export async function availability(kind: TargetKind): Promise<Availability<{ start: StartServer; client: TargetClient }>> {
  const [server, client] = await Promise.all([loadServer(kind), loadClient(kind)]);
  if (!server.available) return server;
  if (!client.available) return client;
  return { available: true, value: { start: server.value, client: client.value } };
}
