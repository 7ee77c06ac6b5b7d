/**
 * One parley connection to the raw endpoint (`/v1/ws`) over the stable
 * `k6/websockets` module: each message is one frame, serialized with
 * JSON.stringify (all that the codec's encodeClientFrame does; the codec
 * itself needs typebox, which k6 cannot load). What the socket records and
 * checks is LoadSocket's (load-socket.ts).
 */
import type { MessageEvent, Params } from 'k6/websockets';
import type { ClientFrame } from '../../../shared/protocol/frames.js';
import { AUTH_SUBPROTOCOL_PREFIX, SUBPROTOCOL, UPGRADE_OPTIONS, WS_PATH } from '../../../shared/protocol/constants.js';
import { common } from './config.js';
import { LoadSocket, type SocketOptions } from './load-socket.js';
import { serverFrameOf } from './metrics.js';

export type { SocketOptions } from './load-socket.js';

/** The URL and parameters of a socket for `token`, with the upgrade `options` (UPGRADE_OPTIONS values) turned on. */
export function connectArgs(token: string, options: readonly string[] = []): [string, Params] {
  // `name` replaces the URL tag on k6's ws_* metrics: a token in the query must not become a tag value.
  const tags = { name: WS_PATH };
  const query = [...options, ...(common.batchFrames ? [UPGRADE_OPTIONS.batch] : [])].map((option) => `${option}=1`);
  if (common.tokenIn === 'query') query.push(`token=${encodeURIComponent(token)}`);
  const url = `${common.gatewayUrl}${WS_PATH}${query.length > 0 ? `?${query.join('&')}` : ''}`;
  if (common.tokenIn === 'query') return [url, { tags }];
  // k6/websockets ignores its `protocols` argument, so the subprotocols go in the header itself.
  return [url, { tags, headers: { 'Sec-WebSocket-Protocol': `${SUBPROTOCOL}, ${AUTH_SUBPROTOCOL_PREFIX}${token}` } }];
}

export class ParleySocket extends LoadSocket {
  constructor(options: SocketOptions) {
    super(options, connectArgs(options.token));
  }

  protected override send(frame: ClientFrame): void {
    this.ws.send(JSON.stringify(frame));
  }

  protected override read(event: MessageEvent | undefined): void {
    const frame = serverFrameOf(event);
    if (frame !== null) this.receive(frame, event!.timestamp);
  }
}
