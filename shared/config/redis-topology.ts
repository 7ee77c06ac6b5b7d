/**
 * Which Redis parley talks to: one node, a primary watched by Sentinel, or a
 * Redis Cluster. One setting chooses it, parsed once at startup (the Redis
 * slice in slices.ts); the connection factory (shared/redis/connect.ts) is the
 * only code that looks at the kind.
 *
 * - `REDIS_URL`: one node, `redis://` or `rediss://` (TLS), credentials in the
 *   URL or in REDIS_USERNAME / REDIS_PASSWORD. The default when nothing is set.
 * - `REDIS_SENTINELS` (`host:port,host:port,…`, port 26379 when left out) and
 *   `REDIS_SENTINEL_NAME` (the name in the sentinels' `sentinel monitor`
 *   line): the primary is asked of the sentinels, and asked again after every
 *   disconnect, so a failover needs no restart. REDIS_USERNAME / REDIS_PASSWORD
 *   authenticate to the data nodes, REDIS_SENTINEL_USERNAME /
 *   REDIS_SENTINEL_PASSWORD to the sentinels (Redis keeps the two apart).
 * - `REDIS_CLUSTER_NODES` (`host:port,…`, port 6379 by default): seed nodes of
 *   a Redis Cluster (some of its nodes; the client reads the rest from them).
 *
 * Exactly one of the three may be set. REDIS_TLS turns on TLS for the
 * Sentinel and Cluster forms (a single node says it with `rediss://`).
 * Problems never quote a password.
 */

export interface RedisAddress {
  host: string;
  port: number;
}

export interface RedisCredentials {
  username?: string;
  password?: string;
}

export type RedisTopology =
  | ({ kind: 'single'; url: string } & RedisCredentials)
  | ({
      kind: 'sentinel';
      /** The primary's name, as the sentinels monitor it. */
      name: string;
      sentinels: RedisAddress[];
      sentinelUsername?: string;
      sentinelPassword?: string;
      /** TLS to the sentinels and to the data nodes. */
      tls: boolean;
    } & RedisCredentials)
  | ({ kind: 'cluster'; nodes: RedisAddress[]; tls: boolean } & RedisCredentials);

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** Every variable that says where Redis is and how to log in (for launchers that pass them on). */
export const REDIS_TOPOLOGY_VARIABLES = [
  'REDIS_URL',
  'REDIS_SENTINELS',
  'REDIS_SENTINEL_NAME',
  'REDIS_SENTINEL_USERNAME',
  'REDIS_SENTINEL_PASSWORD',
  'REDIS_CLUSTER_NODES',
  'REDIS_USERNAME',
  'REDIS_PASSWORD',
  'REDIS_TLS',
] as const;
export const DEFAULT_SENTINEL_PORT = 26379;
export const DEFAULT_CLUSTER_PORT = 6379;

/** The topology variables as the config loader read them (each optional). */
export interface RedisTopologySettings {
  url?: string | undefined;
  sentinels?: string | undefined;
  sentinelName?: string | undefined;
  sentinelUsername?: string | undefined;
  sentinelPassword?: string | undefined;
  clusterNodes?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
  tls: boolean;
}

/** The topology, or null with the reasons pushed onto `problems` (by variable name). */
export function parseRedisTopology(s: RedisTopologySettings, problems: string[]): RedisTopology | null {
  const before = problems.length;
  const forms = [
    s.url !== undefined && 'REDIS_URL',
    s.sentinels !== undefined && 'REDIS_SENTINELS',
    s.clusterNodes !== undefined && 'REDIS_CLUSTER_NODES',
  ].filter((f): f is string => f !== false);
  if (forms.length > 1) {
    problems.push(
      `${forms.join(', ')}: set exactly one of REDIS_URL (one node), REDIS_SENTINELS (Sentinel) or REDIS_CLUSTER_NODES (Cluster)`,
    );
    return null;
  }
  const credentials: RedisCredentials = {
    ...(s.username !== undefined ? { username: s.username } : {}),
    ...(s.password !== undefined ? { password: s.password } : {}),
  };
  const onlyWithSentinel = (name: string, value: string | undefined) => {
    if (value !== undefined && s.sentinels === undefined) problems.push(`${name}: only used with REDIS_SENTINELS`);
  };
  onlyWithSentinel('REDIS_SENTINEL_NAME', s.sentinelName);
  onlyWithSentinel('REDIS_SENTINEL_USERNAME', s.sentinelUsername);
  onlyWithSentinel('REDIS_SENTINEL_PASSWORD', s.sentinelPassword);

  if (s.sentinels !== undefined) {
    const sentinels = parseAddresses('REDIS_SENTINELS', s.sentinels, DEFAULT_SENTINEL_PORT, problems);
    if (s.sentinelName === undefined) problems.push('REDIS_SENTINEL_NAME: required with REDIS_SENTINELS (the name in the sentinels\' `sentinel monitor` line)');
    if (problems.length > before) return null;
    return {
      kind: 'sentinel',
      name: s.sentinelName!,
      sentinels,
      ...(s.sentinelUsername !== undefined ? { sentinelUsername: s.sentinelUsername } : {}),
      ...(s.sentinelPassword !== undefined ? { sentinelPassword: s.sentinelPassword } : {}),
      tls: s.tls,
      ...credentials,
    };
  }
  if (s.clusterNodes !== undefined) {
    const nodes = parseAddresses('REDIS_CLUSTER_NODES', s.clusterNodes, DEFAULT_CLUSTER_PORT, problems);
    if (problems.length > before) return null;
    return { kind: 'cluster', nodes, tls: s.tls, ...credentials };
  }
  const url = s.url ?? DEFAULT_REDIS_URL;
  if (s.tls) problems.push('REDIS_TLS: for one node, say TLS with a rediss:// REDIS_URL');
  const parsed = URL.canParse(url) ? new URL(url) : null;
  if (!parsed) problems.push('REDIS_URL: not a URL (redis://[user:password@]host[:port][/db])');
  if (parsed?.password && s.password !== undefined) problems.push('REDIS_PASSWORD: REDIS_URL carries a password already; set one or the other');
  if (parsed?.username && s.username !== undefined) problems.push('REDIS_USERNAME: REDIS_URL carries a user name already; set one or the other');
  if (problems.length > before) return null;
  return { kind: 'single', url, ...credentials };
}

/**
 * `host:port,host:port`: host names, IPv4, or IPv6 in brackets (`[::1]:26379`);
 * the port may be left out. Duplicates and empty lists are refused.
 */
export function parseAddresses(name: string, value: string, defaultPort: number, problems: string[]): RedisAddress[] {
  const out: RedisAddress[] = [];
  const items = value.split(',').map((i) => i.trim());
  if (items.every((i) => i === '')) {
    problems.push(`${name}: at least one host:port`);
    return out;
  }
  for (const item of items) {
    const address = parseAddress(item, defaultPort);
    if (!address) {
      problems.push(`${name}: ${JSON.stringify(item.slice(0, 100))} is not host:port (IPv6 as [addr]:port)`);
    } else if (out.some((a) => a.host === address.host && a.port === address.port)) {
      problems.push(`${name}: ${item} is listed twice`);
    } else {
      out.push(address);
    }
  }
  return out;
}

/** A host name or IPv4 address; `_` too, as Docker Compose service names have it. */
const HOST_NAME = /^[A-Za-z0-9_]([A-Za-z0-9_.-]{0,251}[A-Za-z0-9_])?$/;

function parseAddress(item: string, defaultPort: number): RedisAddress | null {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(item);
  if (!match) return null;
  const host = match[1] ?? match[2]!;
  const port = match[3] === undefined ? defaultPort : Number(match[3]);
  if (port < 1 || port > 65535) return null;
  if (match[1] !== undefined ? !match[1].includes(':') : !HOST_NAME.test(host)) return null;
  return { host, port };
}

/** Where the topology points, for logs and errors: never a password. */
export function describeRedisTopology(topology: RedisTopology): string {
  const list = (addresses: RedisAddress[]) => addresses.map((a) => (a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`)).join(', ');
  switch (topology.kind) {
    case 'single':
      return redactUrl(topology.url);
    case 'sentinel':
      return `Sentinel primary "${topology.name}" via ${list(topology.sentinels)}`;
    case 'cluster':
      return `Redis Cluster via ${list(topology.nodes)}`;
  }
}

/** Scheme, host and port (and path) of a URL: URLs may carry passwords, which must not be printed. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '(unparseable URL)';
  }
}
