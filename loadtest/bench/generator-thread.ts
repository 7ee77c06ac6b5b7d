/** Entry of a generator worker thread: a socket host on the thread's port. */
import { parentPort } from 'node:worker_threads';
import type { HostEnvelope } from './host-protocol.js';
import { serveHost } from './host-serve.js';

const port = parentPort;
if (!port) throw new Error('generator-thread.js runs as a worker thread');
serveHost({
  onRequest: (handler) => port.on('message', (envelope: HostEnvelope) => handler(envelope)),
  reply: (reply) => port.postMessage(reply),
});
