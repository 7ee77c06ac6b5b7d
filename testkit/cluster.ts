/**
 * A real parley cluster for end-to-end tests: its own database, its own Redis
 * key prefix, a fresh signing key, and real api, gateway and worker processes
 * (each gateway on its own port, so a test can choose which one a client uses).
 *
 * With `E2E_REDIS=cluster` in the environment, every cluster that is not
 * given a Redis of its own runs on a Redis Cluster of its own (3 primaries
 * on loopback, testkit/redis-cluster.ts) instead of the shared test Redis:
 * `make test` runs the e2e suite a second time that way.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JWK } from 'jose';
import { createTestDatabase, type TestDatabase } from './postgres.js';
import { createTestRedis, topologyEnv, type TestRedis } from './redis.js';
import type { RedisTopology } from '../shared/config/redis-topology.js';
import { connectHost, freePort, startService, type ServiceProcess } from './processes.js';
import { startRedisCluster, type OwnCluster } from './redis-cluster.js';
import { writeSigningKeys } from './signing-keys.js';
import { ParleySocket, type ConnectOptions } from '../shared/client/socket.js';
import { SioParleySocket, type SioConnectOptions } from '../shared/client/sio-socket.js';
import type { Problem, TokenResponse } from '../shared/http/schemas.js';

export interface Cluster {
  db: TestDatabase;
  redis: TestRedis;
  apiUrl: string;
  gatewayUrls: string[];
  gateways: ServiceProcess[];
  api: ServiceProcess;
  /** The worker; throws when the cluster was started with `worker: false` and `startWorker()` has not run yet. */
  readonly worker: ServiceProcess;
  /** Whether a worker was started (with `worker: false`, only once `startWorker()` ran). */
  hasWorker(): boolean;
  /**
   * Starts the worker with the cluster's environment, for a cluster started
   * with `worker: false` (a backlog built while nothing consumes it); `stop()`
   * stops it too. Throws if a worker was already started.
   */
  startWorker(): Promise<ServiceProcess>;
  signingJwk: JWK;
  env: Record<string, string>;
  /** The private key set the api signs with (for starting another api replica). */
  keysFile: string;
  /** POSTs JSON to the api and returns status and parsed body. */
  post<T = Problem>(path: string, body: unknown, token?: string): Promise<{ status: number; body: T }>;
  get<T = Problem>(path: string, token?: string): Promise<{ status: number; body: T }>;
  request<T = Problem>(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: T }>;
  /** Registers and logs in a new user. */
  user(username: string): Promise<TokenResponse>;
  /** Creates a public room owned by `owner`, joined by each of `members`; resolves its id. */
  publicRoom(name: string, owner: TokenResponse, members?: TokenResponse[]): Promise<string>;
  connect(gateway: number, token: string | null, options?: ConnectOptions): Promise<ParleySocket>;
  /** Connects over the gateway's Socket.IO transport (websocket unless `options.transports` says otherwise). */
  connectSocketIo(gateway: number, token: string | null, options?: SioConnectOptions): Promise<SioParleySocket>;
  /** Makes `stop()` also stop a process the test started itself. */
  adopt(proc: ServiceProcess): void;
  stop(): Promise<void>;
}

export async function startCluster(
  options: {
    gateways?: number;
    env?: Record<string, string>;
    /** A Redis of the test's own (fault tests); the shared test Redis otherwise. */
    redisUrl?: string;
    /**
     * The topology every service uses instead of `redisUrl` (e.g. a Sentinel
     * setup of the test's own, testkit/redis-sentinel.ts); `redisUrl` is then
     * a node of it, for the test's own checks.
     */
    redisTopology?: RedisTopology;
    /** false: no worker until `startWorker()` (default true). */
    worker?: boolean;
  } = {},
): Promise<Cluster> {
  let ownRedisCluster: OwnCluster | null = null;
  if (process.env.E2E_REDIS === 'cluster' && options.redisUrl === undefined && options.redisTopology === undefined) {
    ownRedisCluster = await startRedisCluster();
  }
  const db = await createTestDatabase();
  const redis = ownRedisCluster
    ? await createTestRedis(ownRedisCluster.nodes[0]!.url, ownRedisCluster.topology)
    : await createTestRedis(options.redisUrl, options.redisTopology);
  const dir = mkdtempSync(join(tmpdir(), 'parley-e2e-'));
  const keysFile = join(dir, 'jwks.json');
  const signingJwk = await writeSigningKeys(keysFile);

  const env = {
    // Tests that are not about rate limits publish far faster than a person
    // types; e2e/gateway-limits-typing.test.ts sets its own small limits.
    GATEWAY_PUBLISH_RATE_PER_CONNECTION: '100000',
    GATEWAY_PUBLISH_BURST_PER_CONNECTION: '100000',
    GATEWAY_PUBLISH_RATE_PER_USER: '100000',
    GATEWAY_PUBLISH_BURST_PER_USER: '100000',
    // Nor do they sign in at a person's pace, all from 127.0.0.1
    // (api/http/rate-limit.test.ts tests the HTTP limits).
    API_RATE_LIMIT_AUTH_PER_IP: '0',
    API_RATE_LIMIT_AUTH_PER_USERNAME: '0',
    API_RATE_LIMIT_WRITES_PER_USER: '0',
    // Like `make up`: every listener on loopback only, unless a test says otherwise.
    API_HOST: '127.0.0.1',
    GATEWAY_HOST: '127.0.0.1',
    OPS_HOST: '127.0.0.1',
    DATABASE_URL: db.url,
    DATABASE_MIGRATE: 'false',
    ...topologyEnv(redis.config.topology),
    REDIS_KEY_PREFIX: redis.config.keyPrefix,
    ...options.env,
  };
  const apiPort = await freePort();
  const apiUrl = `http://${connectHost(env.API_HOST)}:${apiPort}`;
  const procs: ServiceProcess[] = [];
  const stopAll = async () => {
    await Promise.all(procs.map((p) => p.kill('SIGKILL')));
  };
  try {
    const api = await startService('api', { ...env, API_PORT: String(apiPort), AUTH_KEYS_FILE: keysFile }, { name: 'api' });
    procs.push(api);
    const gateways: ServiceProcess[] = [];
    const gatewayUrls: string[] = [];
    for (let i = 0; i < (options.gateways ?? 2); i++) {
      const port = await freePort();
      const gw = await startService(
        'gateway',
        { ...env, GATEWAY_PORT: String(port), AUTH_JWKS_URL: `${apiUrl}/.well-known/jwks.json` },
        { name: `gateway-${i + 1}` },
      );
      procs.push(gw);
      gateways.push(gw);
      gatewayUrls.push(`ws://${connectHost(env.GATEWAY_HOST)}:${port}/v1/ws`);
    }
    let worker: ServiceProcess | null = null;
    const startWorker = async (): Promise<ServiceProcess> => {
      if (worker) throw new Error('the cluster already has a worker');
      const started = await startService('worker', env, { name: 'worker' });
      procs.push(started);
      worker = started;
      return started;
    };
    if (options.worker ?? true) await startWorker();

    const request = async <T>(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: T }> => {
      const headers: Record<string, string> = {};
      if (body !== undefined) headers['content-type'] = 'application/json';
      if (token) headers.authorization = `Bearer ${token}`;
      const res = await fetch(`${apiUrl}${path}`, { method, headers, body: body === undefined ? null : JSON.stringify(body) });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
    };
    const cluster: Cluster = {
      db,
      redis,
      apiUrl,
      gatewayUrls,
      gateways,
      api,
      get worker() {
        if (!worker) throw new Error('the cluster was started without a worker: call startWorker() first');
        return worker;
      },
      hasWorker: () => worker !== null,
      startWorker,
      signingJwk,
      env,
      keysFile,
      post: <T>(path: string, body: unknown, token?: string) => request<T>('POST', path, body, token),
      get: <T>(path: string, token?: string) => request<T>('GET', path, undefined, token),
      request,
      async user(username) {
        const credentials = { username, password: `pw-${username}-long-enough` };
        const reg = await request<Problem>('POST', '/v1/auth/register', credentials);
        if (reg.status !== 201) throw new Error(`register ${username}: ${reg.status} ${JSON.stringify(reg.body)}`);
        const login = await request<TokenResponse>('POST', '/v1/auth/login', credentials);
        if (login.status !== 200) throw new Error(`login ${username}: ${login.status} ${JSON.stringify(login.body)}`);
        return login.body;
      },
      async publicRoom(name, owner, members = []) {
        const created = await request<{ id: string }>('POST', '/v1/rooms', { name, visibility: 'public' }, owner.accessToken);
        if (created.status !== 201) throw new Error(`create room ${name}: ${created.status} ${JSON.stringify(created.body)}`);
        for (const member of members) {
          const joined = await request('POST', `/v1/rooms/${created.body.id}/join`, undefined, member.accessToken);
          if (joined.status !== 200) throw new Error(`${member.user.username} join ${name}: ${joined.status} ${JSON.stringify(joined.body)}`);
        }
        return created.body.id;
      },
      connect: (gateway, token, connectOptions) => ParleySocket.connect(gatewayUrls[gateway]!, token, connectOptions),
      connectSocketIo: (gateway, token, connectOptions) => SioParleySocket.connect(new URL(gatewayUrls[gateway]!.replace(/^ws/, 'http')).origin, token, connectOptions),
      adopt: (proc) => void procs.push(proc),
      async stop() {
        await stopAll();
        // E2E_DUMP_LOGS=1 prints every service's output, for debugging a failing run.
        if (process.env.E2E_DUMP_LOGS) for (const p of procs) process.stderr.write(`\n===== ${p.name}\n${p.output()}`);
        await redis.cleanup();
        await ownRedisCluster?.destroy();
        await db.drop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
    return cluster;
  } catch (err) {
    await stopAll();
    await redis.cleanup();
    await ownRedisCluster?.destroy();
    await db.drop();
    throw err;
  }
}
