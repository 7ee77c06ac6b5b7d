/**
 * Starts real parley service processes (compiled `dist/<service>/main.js`),
 * or any other compiled script such as a benchmark baseline server, and waits
 * until each reports ready on its `/readyz`. Used by the local cluster
 * launcher, end-to-end tests and benchmarks.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';

const DIST = fileURLToPath(new URL('../', import.meta.url));

export type ServiceName = 'gateway' | 'api' | 'worker';

export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  /** Where this machine reaches the ops listener (see `connectHost`). */
  opsHost: string;
  opsPort: number;
  /** Everything the process wrote, for failure messages. */
  output(): string;
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const handedOut = new Set<number>();

/**
 * Asks the kernel for a free TCP port on loopback. The kernel may offer a
 * just-released port again, and the caller binds it only later, so ports
 * already handed out by this process are never returned twice.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await probePort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

/**
 * The address to connect to on this machine for a listener bound to `bind`
 * (a *_HOST setting): loopback for every-interface binds (`0.0.0.0`, `::`)
 * and for an unset one, the address itself otherwise, IPv6 in brackets as
 * URLs need it.
 */
export function connectHost(bind: string | undefined): string {
  if (bind === undefined || bind === '' || bind === '0.0.0.0' || bind === '::') return '127.0.0.1';
  return bind.includes(':') ? `[${bind}]` : bind;
}

function probePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface StartOptions {
  name?: string;
  waitReady?: boolean;
  timeoutMs?: number;
  /** Copy the process's output to ours as it arrives. */
  echo?: boolean;
  /**
   * Run in its own process group, so a terminal's Ctrl-C (SIGINT to the
   * foreground group) reaches only the launcher, which then stops each
   * service with exactly one SIGTERM.
   */
  detached?: boolean;
}

export async function startService(service: ServiceName, env: Record<string, string>, options: StartOptions = {}): Promise<ServiceProcess> {
  return startScript(`${service}/main.js`, env, { ...options, name: options.name ?? service });
}

/**
 * Starts `dist/<script>`. Readiness is `GET /readyz` answering 200 on the
 * process's OPS_PORT (taken from `env`, or a free port passed in), or on
 * `readyPort` for scripts that serve `/readyz` on their main listener and
 * have no ops port; `opsPort` of the result is the port polled.
 */
export async function startScript(
  script: string,
  env: Record<string, string>,
  options: StartOptions & { readyPort?: number } = {},
): Promise<ServiceProcess> {
  const opsPort = options.readyPort ?? (env.OPS_PORT ? Number(env.OPS_PORT) : await freePort());
  const ops = options.readyPort === undefined ? { OPS_PORT: String(opsPort) } : {};
  const child = spawn(process.execPath, [`${DIST}${script}`], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: process.env.TEST_SERVICE_LOG_LEVEL ?? 'info', ...env, ...ops },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  let out = '';
  const keep = (chunk: Buffer) => {
    if (options.echo) process.stdout.write(chunk);
    out += chunk.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const proc: ServiceProcess = {
    name: options.name ?? script,
    child,
    // A script serving /readyz on its main listener (readyPort) is polled on loopback.
    opsHost: options.readyPort === undefined ? connectHost(env.OPS_HOST) : '127.0.0.1',
    opsPort,
    output: () => out,
    exited,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  if (options.waitReady !== false) await waitReady(proc, options.timeoutMs ?? 20_000);
  return proc;
}

async function waitReady(proc: ServiceProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let dead = false;
  void proc.exited.then(() => (dead = true));
  while (Date.now() < deadline) {
    if (dead) throw new Error(`${proc.name} exited before it was ready:\n${proc.output()}`);
    try {
      const res = await fetch(`http://${proc.opsHost}:${proc.opsPort}/readyz`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await proc.kill('SIGKILL');
  throw new Error(`${proc.name} was not ready within ${timeoutMs} ms:\n${proc.output()}`);
}

/** Polls `check` until it returns a value other than undefined, or fails with `what` after the bound. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
