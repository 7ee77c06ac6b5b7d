/**
 * Entry of a generator child process (scenario 3): a socket host over IPC.
 * Separate processes because each may hold at most 20,000 open files; the
 * process exits when the orchestrator goes away.
 */
import type { HostEnvelope } from './host-protocol.js';
import { serveHost } from './host-serve.js';

if (!process.send) throw new Error('generator-child.js runs as a forked child with an IPC channel');
process.on('disconnect', () => process.exit(0));
serveHost({
  onRequest: (handler) => process.on('message', (envelope: HostEnvelope) => handler(envelope)),
  reply: (reply) => process.send!(reply),
});
