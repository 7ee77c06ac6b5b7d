/**
 * `make up`: the whole parley cluster on one machine — two gateways sharing
 * one WebSocket port (SO_REUSEPORT), one api, one worker. Creates the
 * database and a signing key on first use. Ctrl-C drains and stops everything.
 *
 * Every listener binds 127.0.0.1 unless API_HOST, GATEWAY_HOST or OPS_HOST
 * say otherwise (the services themselves default to 0.0.0.0, as containers
 * need): a development cluster is not reachable from the network by accident.
 */
import { existsSync } from 'node:fs';
import postgres from 'postgres';
import Type from 'typebox';
import { loadConfig } from '../shared/config/env.js';
import { RedisConfig } from '../shared/config/slices.js';
import { REDIS_TOPOLOGY_VARIABLES } from '../shared/config/redis-topology.js';
import { connectRedis, DependencyUnavailableError, redactUrl } from '../shared/redis/connect.js';
import { POSTGRES_HINT } from '../shared/db/connect.js';
import { migrate } from '../shared/db/migrate.js';
import { createLogger } from '../shared/log.js';
import { runMain } from '../shared/process.js';
import { connectHost, startService, type ServiceProcess } from '../testkit/processes.js';
import { writeSigningKeys } from '../testkit/signing-keys.js';

const env = process.env;
const DATABASE_URL = env.DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/parley';
const API_PORT = env.API_PORT ?? '8080';
const GATEWAY_PORT = env.GATEWAY_PORT ?? '8081';
const KEYS_FILE = env.AUTH_KEYS_FILE ?? '.local/jwks.json';
const API_HOST = env.API_HOST || '127.0.0.1';
const GATEWAY_HOST = env.GATEWAY_HOST || '127.0.0.1';
const OPS_HOST = env.OPS_HOST || '127.0.0.1';
const OPS_PORTS = { api: '9200', gateway1: '9101', gateway2: '9102', worker: '9300' };

/** The address and ports a listener bound, and who can therefore connect. */
function bound(host: string, ports: string[]): string {
  let reach = 'that address only';
  if (host === '0.0.0.0' || host === '::') reach = 'every interface: other machines can connect';
  else if (host.startsWith('127.') || host === '::1' || host === 'localhost') reach = 'this machine only';
  return `${host}, ${ports.length > 1 ? 'ports' : 'port'} ${ports.join(', ')}  (${reach})`;
}

const logger = createLogger({ level: 'warn' }, 'cluster');

async function ensureDatabase(): Promise<void> {
  const probe = postgres(DATABASE_URL, { max: 1, onnotice: () => undefined, connect_timeout: 5 });
  try {
    await probe`select 1`;
    return;
  } catch (err) {
    if ((err as { code?: string }).code !== '3D000') {
      throw new DependencyUnavailableError('PostgreSQL', redactUrl(DATABASE_URL), POSTGRES_HINT, err);
    }
  } finally {
    await probe.end({ timeout: 1 });
  }
  // 3D000: the server is up but the database does not exist yet.
  const url = new URL(DATABASE_URL);
  const name = url.pathname.slice(1);
  url.pathname = '/postgres';
  const admin = postgres(url.toString(), { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database "${name.replaceAll('"', '""')}"`);
  await admin.end();
  process.stdout.write(`created database ${name}\n`);
}

async function ensureKeys(): Promise<void> {
  if (existsSync(KEYS_FILE)) return;
  await writeSigningKeys(KEYS_FILE);
  process.stdout.write(`created signing key ${KEYS_FILE}\n`);
}

runMain(async () => {
  // The services read the same Redis settings: REDIS_URL (local by default) or a Sentinel's.
  const redisConfig = loadConfig(Type.Object({ redis: RedisConfig }), env).redis;
  const redis = await connectRedis(redisConfig, logger, 'parley-cluster-check');
  redis.disconnect();
  await ensureDatabase();
  await ensureKeys();
  await migrate(DATABASE_URL, logger);

  const redisEnv: Record<string, string> = {};
  for (const name of REDIS_TOPOLOGY_VARIABLES) if (env[name]) redisEnv[name] = env[name];
  const common = {
    ...redisEnv,
    DATABASE_URL,
    LOG_LEVEL: env.LOG_LEVEL ?? 'info',
    OPS_HOST,
    ...(env.REDIS_KEY_PREFIX ? { REDIS_KEY_PREFIX: env.REDIS_KEY_PREFIX } : {}),
  };
  const api = `http://${connectHost(API_HOST)}:${API_PORT}`;
  const ws = `ws://${connectHost(GATEWAY_HOST)}:${GATEWAY_PORT}/v1/ws`;
  const ops = connectHost(OPS_HOST);
  const procs: ServiceProcess[] = [];
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    const exits = await Promise.all(procs.map((p) => p.kill('SIGTERM')));
    const unclean = exits.some((e) => e.code !== 0);
    process.exit(code || (unclean ? 1 : 0));
  };
  const start = async (...args: Parameters<typeof startService>) => {
    const p = await startService(args[0], args[1], { ...args[2], echo: true, detached: true });
    procs.push(p);
    void p.exited.then(({ code, signal }) => {
      if (stopping) return;
      process.stderr.write(`\n${p.name} exited (code ${code}, signal ${signal}); stopping the cluster\n`);
      void stopAll(1);
    });
    return p;
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  // Detached children outlive us unless told: never leave them running.
  process.on('exit', () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGTERM');
  });

  try {
    // The web client at / connects to the gateways' shared port (the api cannot tell it from the request).
    const API_PUBLIC_WS_URL = env.API_PUBLIC_WS_URL ?? ws;
    await start('api', { ...common, API_HOST, API_PORT, AUTH_KEYS_FILE: KEYS_FILE, OPS_PORT: OPS_PORTS.api, API_PUBLIC_WS_URL }, { name: 'api' });
    const gw = { ...common, GATEWAY_HOST, GATEWAY_PORT, AUTH_JWKS_URL: `${api}/.well-known/jwks.json` };
    await start('gateway', { ...gw, OPS_PORT: OPS_PORTS.gateway1 }, { name: 'gateway-1' });
    await start('gateway', { ...gw, OPS_PORT: OPS_PORTS.gateway2 }, { name: 'gateway-2' });
    await start('worker', { ...common, OPS_PORT: OPS_PORTS.worker }, { name: 'worker' });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    await stopAll(1);
  }

  process.stdout.write(`
parley is up.
  web client ${api}/     (built by npm run build into web/dist)
  api        ${api}      (POST /v1/auth/register, /v1/auth/login, GET /v1/me, …)
  websocket  ${ws}   (2 gateway processes share this port)
  socket.io  ${ws.replace(/^ws/, 'http').replace(/\/v1\/ws$/, '')} path /socket.io/ (websocket transport here: long-polling
             needs the cookie-sticky balancer of deploy/docker-compose.yml, see deploy/README.md)
  metrics    http://${ops}:${OPS_PORTS.api}/metrics (api), :${OPS_PORTS.gateway1} and :${OPS_PORTS.gateway2} (gateways), :${OPS_PORTS.worker} (worker)
Bound to:
  api        ${bound(API_HOST, [API_PORT])}
  gateways   ${bound(GATEWAY_HOST, [GATEWAY_PORT])}
  ops        ${bound(OPS_HOST, Object.values(OPS_PORTS))}
API_HOST, GATEWAY_HOST and OPS_HOST (e.g. 0.0.0.0) choose other addresses.
Press Ctrl-C to stop.
`);
});
