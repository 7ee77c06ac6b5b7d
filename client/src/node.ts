/**
 * The "node" export condition: the same API as index.ts, with a default
 * WebSocket for Node. Node 22+ has a global WebSocket; Node 20 does not, so
 * the `ws` package (an optional peer dependency) is loaded instead. Without
 * either, pass `options.WebSocket`.
 */
import { setDefaultWebSocket } from './client.js';
import type { WebSocketConstructor } from './types.js';

export * from './index.js';

const global = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
if (global) {
  setDefaultWebSocket(global);
} else {
  try {
    // A specifier in a variable: no Node types reach the browser build's declarations, and bundlers leave it alone.
    const specifier = 'ws';
    const ws = (await import(specifier)) as { WebSocket?: WebSocketConstructor; default?: WebSocketConstructor };
    setDefaultWebSocket(ws.WebSocket ?? ws.default);
  } catch {
    // `ws` is not installed: connect() says so, unless options.WebSocket is given.
  }
}
