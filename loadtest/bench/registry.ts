/**
 * Where each target's code lives, loaded with dynamic `import()` so this
 * branch builds and runs whether or not a baseline module exists yet. Each
 * entry names the module and its two exports: a starter taking
 * `{ env }` (the same environment for every target, see ./settings.ts) and
 * the generator-side `TargetClient`. parley keeps the two halves in separate
 * modules so generator threads never load the server side (Postgres, the e2e
 * cluster launcher).
 *
 * A module that is missing, or that lacks either export, makes the target
 * "not available" with the reason; the run goes on without it.
 */
import type { TargetClient, TargetKind, TargetServer } from './target.js';

export const TARGET_KINDS: readonly TargetKind[] = ['parley', 'relay', 'socketio'];

export interface TargetStartOptions {
  /** Settings for the target's processes; each reads the variables it knows. */
  env: Record<string, string>;
}

export type StartTarget = (options: TargetStartOptions) => Promise<TargetServer>;

interface Export {
  /** Relative to this module, as compiled into dist/loadtest/bench/. */
  path: string;
  name: string;
}

const ENTRIES: Record<TargetKind, { server: Export; client: Export }> = {
  parley: {
    server: { path: './targets/parley-server.js', name: 'startParleyTarget' },
    client: { path: './targets/parley-client.js', name: 'parleyClient' },
  },
  relay: {
    server: { path: '../baselines/relay/target.js', name: 'startRelayTarget' },
    client: { path: '../baselines/relay/target.js', name: 'relayClient' },
  },
  socketio: {
    server: { path: '../baselines/socketio/target.js', name: 'startSocketIoTarget' },
    client: { path: '../baselines/socketio/target.js', name: 'socketIoClient' },
  },
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

async function importExport(kind: TargetKind, { path, name }: Export): Promise<Availability<unknown>> {
  const url = new URL(path, import.meta.url);
  try {
    const mod = (await import(url.href)) as Record<string, unknown>;
    if (!(name in mod)) return { available: false, reason: `${kind}: ${url.pathname} does not export \`${name}\`` };
    return { available: true, value: mod[name] };
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
  const entry = ENTRIES[kind].client;
  const client = await importExport(kind, entry);
  if (!client.available) return client;
  if (!isClient(client.value, kind)) return { available: false, reason: `${kind}: \`${entry.name}\` is not a TargetClient of kind "${kind}"` };
  return { available: true, value: client.value };
}

export async function loadServer(kind: TargetKind): Promise<Availability<StartTarget>> {
  const entry = ENTRIES[kind].server;
  const start = await importExport(kind, entry);
  if (!start.available) return start;
  if (typeof start.value !== 'function') return { available: false, reason: `${kind}: \`${entry.name}\` is not a function` };
  return { available: true, value: start.value as StartTarget };
}

/** Both halves, or the reason the target cannot run. */
export async function availability(kind: TargetKind): Promise<Availability<{ start: StartTarget; client: TargetClient }>> {
  const [server, client] = await Promise.all([loadServer(kind), loadClient(kind)]);
  if (!server.available) return server;
  if (!client.available) return client;
  return { available: true, value: { start: server.value, client: client.value } };
}
