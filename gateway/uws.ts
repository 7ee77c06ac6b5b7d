/**
 * The only module that imports uWebSockets.js, and a public entry of the
 * gateway (see index.ts): the benchmark's bare relay builds on it too.
 *
 * The official uWebSockets.js is published on GitHub only, and its recent
 * builds need glibc 2.38 (newer than Debian 12). package.json installs the
 * `uwebsockets@3.0.6` republish under the name `uWebSockets.js`, which exposes
 * the v20 API; its Node 20 binary loads on Debian 12, its Node 22 and 24
 * binaries need glibc 2.38 (the image is Debian 13). To use another build,
 * change the alias in package.json (or this import) and nothing else.
 */
import uWS from 'uWebSockets.js';

export type {
  TemplatedApp,
  WebSocket,
  HttpRequest,
  HttpResponse,
  us_listen_socket,
  us_socket_context_t,
  WebSocketBehavior,
} from 'uWebSockets.js';

export const App = uWS.App;
export const closeListenSocket = uWS.us_listen_socket_close;
