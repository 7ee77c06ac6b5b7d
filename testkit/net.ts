/**
 * Reachability checks for tests about bind addresses: another address of
 * this machine than loopback, and whether a TCP connect to an address
 * succeeds or how it fails.
 */
import { connect } from 'node:net';
import { networkInterfaces, platform } from 'node:os';

/**
 * An address of this machine other than 127.0.0.1, to show that a listener
 * bound to 127.0.0.1 is not reachable there: a non-loopback IPv4 address of
 * an interface, else 127.0.0.2 on Linux (all of 127/8 is local there); null
 * when there is none.
 */
export function otherLocalAddress(): string | null {
  for (const addresses of Object.values(networkInterfaces())) {
    const v4 = addresses?.find((a) => a.family === 'IPv4' && !a.internal);
    if (v4) return v4.address;
  }
  return platform() === 'linux' ? '127.0.0.2' : null;
}

/** 'connected', or the error code of a failed TCP connect (ECONNREFUSED, …; 'timeout' after `timeoutMs`). */
export function tryConnect(host: string, port: number, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (outcome: string) => {
      socket.destroy();
      resolve(outcome);
    };
    socket.setTimeout(timeoutMs, () => done('timeout'));
    socket.once('connect', () => done('connected'));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
  });
}
